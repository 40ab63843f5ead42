//! `汇总表.xlsx`: the statistical tables a county reports, by 坐落单位 (县 → 乡 → 村) — land use
//! by first- and second-level class, permanent basic farmland, the 占补平衡 ledger, the 卫片
//! statistics and, with a previous vintage, the 变更流量表 (transition matrix), its detail by
//! township, the 进出平衡 ledger and the unreported new construction.
//!
//! Every cell holds the full-precision value (公顷 = m² / 10 000, 亩 = m² / 666.67); the number
//! format shows 4 decimals for 公顷 and 2 for 亩, so a total read back equals report.json's. The
//! tables are in Chinese whatever `--lang` says: they are the official forms.

use redline_geom::LandClassTable;
use redline_overlay::{County, Metrics, Outcome, Settings, VintageChange};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};
use std::collections::BTreeMap;

const M2_PER_HA: f64 = 10_000.0;
const M2_PER_MU: f64 = 2_000.0 / 3.0;

/// The first-level classes (三调 一级类) in report.json's `by_group` order.
const GROUPS: [(&str, &str); 13] = [
    ("00", "湿地"),
    ("01", "耕地"),
    ("02", "种植园用地"),
    ("03", "林地"),
    ("04", "草地"),
    ("05", "商业服务业用地"),
    ("06", "工矿用地"),
    ("07", "住宅用地"),
    ("08", "公共管理与公共服务用地"),
    ("09", "特殊用地"),
    ("10", "交通运输用地"),
    ("11", "水域及水利设施用地"),
    ("12", "其他土地"),
];

/// One cell of a table row.
enum Cell {
    Ha(f64),
    Mu(f64),
    Kg(f64),
    Ratio(Option<f64>),
    Count(f64),
    YesNo(bool),
    Text(String),
}

/// 县, 乡 or 村 (or a line of a list): the row's level decides its style.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    County,
    Township,
    /// Plain and indented under its township.
    Village,
    /// Plain: a line of a list.
    Item,
}

/// The cell formats, plain and bold (totals).
struct Styles {
    title: Format,
    note: Format,
    header: Format,
    text: [Format; 2],
    ha: [Format; 2],
    mu: [Format; 2],
    kg: [Format; 2],
    ratio: [Format; 2],
    count: [Format; 2],
}

impl Styles {
    fn new() -> Styles {
        let base = || {
            Format::new()
                .set_border(FormatBorder::Thin)
                .set_font_name("SimSun")
                .set_font_size(10)
        };
        let pair = |f: Format| [f.clone(), f.set_bold()];
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_font_name("SimHei")
                .set_align(FormatAlign::Center),
            note: Format::new().set_font_size(9).set_font_name("SimSun"),
            header: base()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xE8EEF4)),
            text: pair(base()),
            ha: pair(base().set_num_format("0.0000")),
            mu: pair(base().set_num_format("0.00")),
            kg: pair(base().set_num_format("0.00")),
            ratio: pair(base().set_num_format("0.00%")),
            count: pair(base().set_num_format("0")),
        }
    }
}

/// A sheet being filled: title, note, header rows, then rows; frozen under the header and right
/// of the code and name columns.
struct Sheet<'a> {
    sheet: &'a mut Worksheet,
    styles: &'a Styles,
    row: u32,
}

impl<'a> Sheet<'a> {
    fn new(
        workbook: &'a mut Workbook,
        styles: &'a Styles,
        name: &str,
        title: &str,
        note: &str,
        headers: &[String],
    ) -> Result<Sheet<'a>, XlsxError> {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        let last = (headers.len().max(2) - 1) as u16;
        sheet.merge_range(0, 0, 0, last, title, &styles.title)?;
        sheet.merge_range(1, 0, 1, last, note, &styles.note)?;
        sheet.set_row_height(2, 42)?;
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, h, &styles.header)?;
            // CJK characters are about two Latin widths; codes of 12 digits need 14.
            let width = match c {
                0 => 14.0,
                1 => 24.0,
                _ => 13.0,
            };
            sheet.set_column_width(c as u16, width)?;
        }
        sheet.set_freeze_panes(3, 2)?;
        // Printed on A4 landscape, one page wide, the header on every page.
        sheet
            .set_paper_size(9)
            .set_landscape()
            .set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(2, 2)?;
        Ok(Sheet {
            sheet,
            styles,
            row: 3,
        })
    }

    /// One row: code, name (villages indented), then the cells.
    fn row(
        &mut self,
        level: Level,
        code: &str,
        name: &str,
        cells: &[Cell],
    ) -> Result<(), XlsxError> {
        let s = self.styles;
        let b = usize::from(matches!(level, Level::County | Level::Township));
        let r = self.row;
        self.sheet
            .write_string_with_format(r, 0, code, &s.text[b])?;
        let name = if level == Level::Village {
            format!("    {name}")
        } else {
            name.to_string()
        };
        self.sheet
            .write_string_with_format(r, 1, &name, &s.text[b])?;
        for (k, cell) in cells.iter().enumerate() {
            let c = (k + 2) as u16;
            match cell {
                Cell::Ha(m2) => self
                    .sheet
                    .write_number_with_format(r, c, m2 / M2_PER_HA, &s.ha[b]),
                Cell::Mu(m2) => self
                    .sheet
                    .write_number_with_format(r, c, m2 / M2_PER_MU, &s.mu[b]),
                Cell::Kg(v) => self.sheet.write_number_with_format(r, c, *v, &s.kg[b]),
                Cell::Count(v) => self.sheet.write_number_with_format(r, c, *v, &s.count[b]),
                Cell::Ratio(Some(v)) => self.sheet.write_number_with_format(r, c, *v, &s.ratio[b]),
                Cell::Ratio(None) => self.sheet.write_blank(r, c, &s.ratio[b]),
                Cell::YesNo(v) => self.sheet.write_string_with_format(
                    r,
                    c,
                    if *v { "是" } else { "否" },
                    &s.text[b],
                ),
                Cell::Text(t) => self.sheet.write_string_with_format(r, c, t, &s.text[b]),
            }?;
        }
        self.row += 1;
        Ok(())
    }
}

/// Writes the workbook to bytes. Same inputs, same bytes: the file's creation date is the
/// period's end, not the clock.
///
/// # Errors
/// What rust_xlsxwriter reports (a sheet past Excel's limits).
pub fn summary_workbook(
    county: &County,
    outcome: &Outcome,
    settings: &Settings,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let end = settings.period.end;
    let created = ExcelDateTime::from_ymd(end.year.clamp(1900, 9999) as u16, end.month, end.day)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("汇总表")
            .set_creation_datetime(&created),
    );
    let styles = Styles::new();
    let ctx = Context {
        county,
        outcome,
        note: format!(
            "{}　统计期：{} 至 {}　面积单位：公顷（4 位小数）、亩（2 位小数）　面积算法：{}",
            outcome.county.name,
            settings.period.start,
            settings.period.end,
            format!("{:?}", settings.area).to_lowercase()
        ),
    };
    first_level(&mut workbook, &styles, &ctx)?;
    second_level(&mut workbook, &styles, &ctx)?;
    if outcome.county.pbf.is_some() {
        basic_farmland(&mut workbook, &styles, &ctx)?;
    }
    if outcome.county.balance.is_some() {
        balance(&mut workbook, &styles, &ctx)?;
    }
    if outcome.county.violations.is_some() {
        violations(&mut workbook, &styles, &ctx)?;
    }
    if let Some(change) = &outcome.county.change {
        transition_matrix(&mut workbook, &styles, &ctx, change)?;
        transition_detail(&mut workbook, &styles, &ctx)?;
        in_out(&mut workbook, &styles, &ctx)?;
        uncovered(&mut workbook, &styles, &ctx)?;
    }
    workbook.save_to_buffer()
}

/// What every sheet reads.
struct Context<'a> {
    county: &'a County,
    outcome: &'a Outcome,
    note: String,
}

impl Context<'_> {
    /// The county row, then each township followed by nothing (township-level tables).
    fn rows(&self) -> impl Iterator<Item = (Level, &Metrics)> {
        std::iter::once((Level::County, &self.outcome.county))
            .chain(self.outcome.townships.iter().map(|t| (Level::Township, t)))
    }

    fn village_name(&self, code: &str) -> String {
        match self.county.village_names.get(code) {
            Some(name) => name.clone(),
            None if code.is_empty() => "（坐落单位代码空）".into(),
            None => format!("村 {code}"),
        }
    }
}

fn class_name(code: &str) -> String {
    LandClassTable::builtin()
        .get(code)
        .map_or_else(String::new, |c| c.name.clone())
}

/// Net area by first-level group from areas by class.
fn groups_of(classes: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let mut groups = BTreeMap::new();
    for (code, area) in classes {
        *groups
            .entry(redline_geom::first_level(code).to_string())
            .or_insert(0.0) += area;
    }
    groups
}

/// 土地利用现状一级分类面积汇总表: 县, then each 乡 and its 村.
fn first_level(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let mut headers = vec![
        "坐落单位代码".to_string(),
        "坐落单位名称".into(),
        "合计".into(),
    ];
    headers.extend(GROUPS.iter().map(|(g, name)| format!("{name}\n({g})")));
    let mut sheet = Sheet::new(
        workbook,
        styles,
        "一级分类",
        "土地利用现状一级分类面积汇总表",
        &ctx.note,
        &headers,
    )?;
    let cells = |total: f64, groups: &BTreeMap<String, f64>| -> Vec<Cell> {
        std::iter::once(Cell::Ha(total))
            .chain(
                GROUPS
                    .iter()
                    .map(|(g, _)| Cell::Ha(groups.get(*g).copied().unwrap_or(0.0))),
            )
            .collect()
    };
    let net = |m: &Metrics| -> BTreeMap<String, f64> {
        m.landuse
            .by_group
            .iter()
            .map(|(k, v)| (k.clone(), v.net))
            .collect()
    };
    let c = &ctx.outcome.county;
    sheet.row(
        Level::County,
        &c.code,
        &c.name,
        &cells(c.landuse.total, &net(c)),
    )?;
    for t in &ctx.outcome.townships {
        sheet.row(
            Level::Township,
            &t.code,
            &t.name,
            &cells(t.landuse.total, &net(t)),
        )?;
        for (code, classes) in &t.villages {
            let total = classes.values().sum();
            let name = ctx.village_name(code);
            sheet.row(
                Level::Village,
                code,
                &name,
                &cells(total, &groups_of(classes)),
            )?;
        }
    }
    Ok(())
}

/// 土地利用现状二级分类面积汇总表: every class the county has, under its first-level group.
fn second_level(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let classes: Vec<&String> = ctx.outcome.county.landuse.by_class.keys().collect();
    let mut headers = vec![
        "坐落单位代码".to_string(),
        "坐落单位名称".into(),
        "合计".into(),
    ];
    headers.extend(classes.iter().map(|c| format!("{}\n({c})", class_name(c))));
    let mut sheet = Sheet::new(
        workbook,
        styles,
        "二级分类",
        "土地利用现状二级分类面积汇总表",
        &ctx.note,
        &headers,
    )?;
    let cells = |total: f64, by: &BTreeMap<String, f64>| -> Vec<Cell> {
        std::iter::once(Cell::Ha(total))
            .chain(
                classes
                    .iter()
                    .map(|c| Cell::Ha(by.get(*c).copied().unwrap_or(0.0))),
            )
            .collect()
    };
    let c = &ctx.outcome.county;
    sheet.row(
        Level::County,
        &c.code,
        &c.name,
        &cells(c.landuse.total, &c.landuse.by_class),
    )?;
    for t in &ctx.outcome.townships {
        sheet.row(
            Level::Township,
            &t.code,
            &t.name,
            &cells(t.landuse.total, &t.landuse.by_class),
        )?;
        for (code, by) in &t.villages {
            let name = ctx.village_name(code);
            sheet.row(Level::Village, code, &name, &cells(by.values().sum(), by))?;
        }
    }
    Ok(())
}

fn headers(names: &[&str]) -> Vec<String> {
    ["代码", "名称"]
        .iter()
        .chain(names)
        .map(|s| s.to_string())
        .collect()
}

/// A table with the county row and a row per township, for a family that `cells` reads from a
/// row's metrics (`None`: the row has no such family).
struct FamilySheet<'a> {
    name: &'a str,
    title: &'a str,
    columns: &'a [&'a str],
}

impl FamilySheet<'_> {
    fn write(
        &self,
        workbook: &mut Workbook,
        styles: &Styles,
        ctx: &Context,
        cells: impl Fn(&Metrics) -> Option<Vec<Cell>>,
    ) -> Result<(), XlsxError> {
        let header = headers(self.columns);
        let mut sheet = Sheet::new(workbook, styles, self.name, self.title, &ctx.note, &header)?;
        for (level, m) in ctx.rows() {
            if let Some(cells) = cells(m) {
                sheet.row(level, &m.code, &m.name, &cells)?;
            }
        }
        Ok(())
    }
}

/// 永久基本农田现状情况统计表.
fn basic_farmland(
    workbook: &mut Workbook,
    styles: &Styles,
    ctx: &Context,
) -> Result<(), XlsxError> {
    let sheet = FamilySheet {
        name: "永久基本农田",
        title: "永久基本农田现状情况统计表",
        columns: &[
            "永久基本农田\n(公顷)",
            "其中：耕地\n(公顷)",
            "建设用地\n非农化(公顷)",
            "其他农用地\n非粮化(公顷)",
            "未利用地\n(公顷)",
            "保护任务\n(公顷)",
            "耕地占比",
            "任务完成率",
            "永久基本农田\n(亩)",
            "其中：耕地\n(亩)",
        ],
    };
    sheet.write(workbook, styles, ctx, |m| {
        let p = m.pbf.as_ref()?;
        Some(vec![
            Cell::Ha(p.area),
            Cell::Ha(p.cultivated),
            Cell::Ha(p.construction),
            Cell::Ha(p.other_agri),
            Cell::Ha(p.unused),
            p.target.map_or(Cell::Text(String::new()), Cell::Ha),
            Cell::Ratio(p.cultivated_ratio),
            Cell::Ratio(p.task_ratio),
            Cell::Mu(p.area),
            Cell::Mu(p.cultivated),
        ])
    })
}

/// 耕地占补平衡 ledger.
fn balance(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let sheet = FamilySheet {
        name: "占补平衡",
        title: "耕地占补平衡情况表",
        columns: &[
            "占用耕地\n数量(公顷)",
            "占用耕地\n其中水田(公顷)",
            "占用耕地\n产能(公斤)",
            "补充耕地\n数量(公顷)",
            "补充耕地\n其中水田(公顷)",
            "补充耕地\n产能(公斤)",
            "差额\n数量(公顷)",
            "差额\n水田(公顷)",
            "差额\n产能(公斤)",
            "差额\n数量(亩)",
            "是否平衡",
        ],
    };
    sheet.write(workbook, styles, ctx, |m| {
        let b = m.balance.as_ref()?;
        let (q, p, c) = b.net();
        Some(vec![
            Cell::Ha(b.debit.quantity),
            Cell::Ha(b.debit.paddy),
            Cell::Kg(b.debit.capacity),
            Cell::Ha(b.credit.quantity),
            Cell::Ha(b.credit.paddy),
            Cell::Kg(b.credit.capacity),
            Cell::Ha(q),
            Cell::Ha(p),
            Cell::Kg(c),
            Cell::Mu(q),
            Cell::YesNo(b.balanced()),
        ])
    })
}

/// The verdicts of the 卫片 statistics, in their columns' order.
const VERDICTS: [&str; 5] = ["existing", "legal", "other", "illegal", "partial"];

/// 卫片执法 statistics.
fn violations(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let sheet = FamilySheet {
        name: "卫片执法",
        title: "卫片执法检查统计表",
        columns: &[
            "图斑数\n原有建设",
            "图斑数\n合法",
            "图斑数\n其他",
            "图斑数\n违法",
            "图斑数\n部分违法",
            "新增建设占用耕地\n(公顷)",
            "违法占用耕地\n(公顷)",
            "违法占用永久基本农田\n(公顷)",
            "违法占用耕地\n(亩)",
            "违法占用耕地比例",
            "约谈",
            "问责",
        ],
    };
    sheet.write(workbook, styles, ctx, |m| {
        let v = m.violations.as_ref()?;
        let mut cells: Vec<Cell> = VERDICTS
            .iter()
            .map(|k| Cell::Count(v.patches.get(*k).copied().unwrap_or(0) as f64))
            .collect();
        cells.extend([
            Cell::Ha(v.new_construction_cultivated),
            Cell::Ha(v.illegal_cultivated),
            Cell::Ha(v.illegal_pbf),
            Cell::Mu(v.illegal_cultivated),
            Cell::Ratio(Some(v.illegal_ratio)),
            Cell::YesNo(v.interview),
            Cell::YesNo(v.accountability),
        ]);
        Some(cells)
    })
}

/// The county's transition matrix by class code: rows the previous vintage, columns the
/// current one.
fn by_code(change: &VintageChange) -> BTreeMap<(String, String), f64> {
    let mut cells = BTreeMap::new();
    for ((from, to), area) in &change.transitions {
        *cells
            .entry((from.code.clone(), to.code.clone()))
            .or_insert(0.0) += area;
    }
    cells
}

/// 土地利用变更流量表: the county's matrix, with the previous and current totals.
fn transition_matrix(
    workbook: &mut Workbook,
    styles: &Styles,
    ctx: &Context,
    change: &VintageChange,
) -> Result<(), XlsxError> {
    let cells = by_code(change);
    let mut from: Vec<&String> = cells.keys().map(|(f, _)| f).collect();
    let mut to: Vec<&String> = cells.keys().map(|(_, t)| t).collect();
    from.sort();
    from.dedup();
    to.sort();
    to.dedup();
    let mut names = vec!["上年合计".to_string()];
    names.extend(to.iter().map(|c| format!("{}\n({c})", class_name(c))));
    let mut header = vec!["上年地类".to_string(), "名称".into()];
    header.extend(names);
    let mut sheet = Sheet::new(
        workbook,
        styles,
        "变更流量表",
        "土地利用变更流量表（行：上年地类　列：本年地类）",
        &ctx.note,
        &header,
    )?;
    let get = |f: &String, t: &String| cells.get(&(f.clone(), t.clone())).copied().unwrap_or(0.0);
    for f in &from {
        let row: f64 = to.iter().map(|t| get(f, t)).sum();
        let mut line = vec![Cell::Ha(row)];
        line.extend(to.iter().map(|t| Cell::Ha(get(f, t))));
        sheet.row(Level::Township, f, &class_name(f), &line)?;
    }
    let total: f64 = cells.values().sum();
    let mut line = vec![Cell::Ha(total)];
    line.extend(
        to.iter()
            .map(|t| Cell::Ha(from.iter().map(|f| get(f, t)).sum())),
    );
    sheet.row(Level::County, "本年合计", "", &line)
}

/// The transitions of every township, one line per non-zero cell: for pivot tables.
fn transition_detail(
    workbook: &mut Workbook,
    styles: &Styles,
    ctx: &Context,
) -> Result<(), XlsxError> {
    let mut sheet = Sheet::new(
        workbook,
        styles,
        "变更流量明细",
        "土地利用变更流量明细（按乡镇）",
        &ctx.note,
        &headers(&[
            "上年地类",
            "上年地类名称",
            "本年地类",
            "本年地类名称",
            "面积\n(公顷)",
            "面积\n(亩)",
        ]),
    )?;
    for t in &ctx.outcome.townships {
        let Some(change) = &t.change else { continue };
        for ((from, to), area) in by_code(change) {
            let cells = [
                Cell::Text(from.clone()),
                Cell::Text(class_name(&from)),
                Cell::Text(to.clone()),
                Cell::Text(class_name(&to)),
                Cell::Ha(area),
                Cell::Mu(area),
            ];
            sheet.row(Level::Item, &t.code, &t.name, &cells)?;
        }
    }
    Ok(())
}

/// 耕地进出平衡 and the flows of cultivated land.
fn in_out(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let sheet = FamilySheet {
        name: "进出平衡",
        title: "耕地流入流出及进出平衡情况表",
        columns: &[
            "上年耕地\n(公顷)",
            "本年耕地\n(公顷)",
            "耕地减少\n合计(公顷)",
            "减少为\n建设用地",
            "减少为\n其他农用地",
            "减少为\n未利用地",
            "耕地增加\n合计(公顷)",
            "来自\n建设用地",
            "来自\n其他农用地",
            "来自\n未利用地",
            "净变化\n(公顷)",
            "进出平衡\n流出(公顷)",
            "进出平衡\n流入(公顷)",
            "进出平衡\n差额(公顷)",
            "进出平衡\n差额(亩)",
            "是否缺口",
        ],
    };
    sheet.write(workbook, styles, ctx, |m| {
        let c = m.change.as_ref()?;
        Some(vec![
            Cell::Ha(c.cultivated_previous),
            Cell::Ha(c.cultivated_current),
            Cell::Ha(c.cultivated_out()),
            Cell::Ha(c.out.construction),
            Cell::Ha(c.out.other_agri),
            Cell::Ha(c.out.unused),
            Cell::Ha(c.cultivated_in()),
            Cell::Ha(c.inflow.construction),
            Cell::Ha(c.inflow.other_agri),
            Cell::Ha(c.inflow.unused),
            Cell::Ha(c.net_change()),
            Cell::Ha(c.in_out.out),
            Cell::Ha(c.in_out.inflow),
            Cell::Ha(c.in_out.balance()),
            Cell::Mu(c.in_out.balance()),
            Cell::YesNo(c.in_out.deficit()),
        ])
    })
}

/// New construction that no change patch and no approval covers.
fn uncovered(workbook: &mut Workbook, styles: &Styles, ctx: &Context) -> Result<(), XlsxError> {
    let mut sheet = Sheet::new(
        workbook,
        styles,
        "未报新增建设",
        "无卫片图斑、无批准文件覆盖的新增建设用地（疑似漏报）",
        &ctx.note,
        &headers(&[
            "图斑标识码",
            "本年地类",
            "上年地类",
            "面积\n(公顷)",
            "面积\n(亩)",
        ]),
    )?;
    let names: BTreeMap<&str, &str> = ctx
        .outcome
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    for u in &ctx.outcome.uncovered {
        let name = names.get(u.township.as_str()).copied().unwrap_or_default();
        let cells = [
            Cell::Text(u.landuse_id.clone()),
            Cell::Text(u.class.clone()),
            Cell::Text(u.previous.join(",")),
            Cell::Ha(u.area),
            Cell::Mu(u.area),
        ];
        sheet.row(Level::Item, &u.township, name, &cells)?;
    }
    Ok(())
}
