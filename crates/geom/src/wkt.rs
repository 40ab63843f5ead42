//! A small parser for OGC WKT1 / ESRI `.prj` text: a tree of `NAME[child, …]` nodes.

/// One WKT node: `KEYWORD["name", 1.0, CHILD[…], …]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub keyword: String,
    pub args: Vec<Arg>,
}

/// An argument of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Number(f64),
    Node(Node),
}

impl Node {
    /// The first text argument (the object's name).
    pub fn name(&self) -> Option<&str> {
        self.args.iter().find_map(|a| match a {
            Arg::Text(t) => Some(t.as_str()),
            _ => None,
        })
    }

    /// Numbers among the arguments, in order.
    pub fn numbers(&self) -> Vec<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                Arg::Number(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    /// Direct children with the given keyword (case-insensitive).
    pub fn children<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.args.iter().filter_map(move |a| match a {
            Arg::Node(n) if n.keyword.eq_ignore_ascii_case(keyword) => Some(n),
            _ => None,
        })
    }

    /// The first direct child with the keyword.
    pub fn child<'a>(&'a self, keyword: &'a str) -> Option<&'a Node> {
        self.children(keyword).next()
    }

    /// The first node with the keyword anywhere below (depth first), self included.
    pub fn find(&self, keyword: &str) -> Option<&Node> {
        if self.keyword.eq_ignore_ascii_case(keyword) {
            return Some(self);
        }
        self.args.iter().find_map(|a| match a {
            Arg::Node(n) => n.find(keyword),
            _ => None,
        })
    }
}

/// Parses WKT text; `Err` carries a description of what was wrong and where.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    let mut parser = Parser {
        chars: text
            .trim_start_matches('\u{feff}')
            .char_indices()
            .peekable(),
        depth: 0,
    };
    let node = parser.node()?;
    parser.skip_ws();
    match parser.chars.peek() {
        None => Ok(node),
        Some((at, c)) => Err(format!("unexpected {c:?} after the end at byte {at}")),
    }
}

/// How deep WKT nodes may nest. The parser recurses once per level; real CRS WKT (a WKT2
/// BoundCRS with its operation) nests about eight deep, and without a limit `A[A[A[…` in a
/// `.prj` would overflow the stack.
const MAX_NESTING: u32 = 64;

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    /// Nodes open around the parser.
    depth: u32,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some((_, c)) = self
            .chars
            .next_if(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        {
            word.push(c);
        }
        word
    }

    fn node(&mut self) -> Result<Node, String> {
        self.skip_ws();
        let keyword = self.word();
        if keyword.is_empty() {
            return Err("expected a WKT keyword".into());
        }
        self.skip_ws();
        let open = self.chars.next().map(|(_, c)| c);
        if !matches!(open, Some('[') | Some('(')) {
            return Err(format!("expected '[' after {keyword}"));
        }
        self.body(keyword)
    }

    /// The arguments after `KEYWORD[` up to the closing bracket, at most [`MAX_NESTING`] deep.
    fn body(&mut self, keyword: String) -> Result<Node, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "WKT nested more than {MAX_NESTING} deep at {keyword}["
            ));
        }
        self.depth += 1;
        let node = self.args(keyword);
        self.depth -= 1;
        node
    }

    fn args(&mut self, keyword: String) -> Result<Node, String> {
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            match self.chars.peek().map(|(_, c)| *c) {
                Some(']') | Some(')') => {
                    self.chars.next();
                    return Ok(Node { keyword, args });
                }
                Some(',') => {
                    self.chars.next();
                }
                Some('"') => args.push(Arg::Text(self.quoted()?)),
                Some(c) if c == '-' || c == '+' || c == '.' || c.is_ascii_digit() => {
                    args.push(self.number()?)
                }
                Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                    // A child node, or a bare enumeration word (WKT2: `CS[Cartesian,2]`,
                    // `AXIS["easting",east]`).
                    let word = self.word();
                    self.skip_ws();
                    if self
                        .chars
                        .next_if(|(_, c)| matches!(c, '[' | '('))
                        .is_some()
                    {
                        args.push(Arg::Node(self.body(word)?));
                    } else {
                        args.push(Arg::Text(word));
                    }
                }
                Some(c) => return Err(format!("unexpected {c:?} in {keyword}[")),
                None => return Err(format!("unterminated {keyword}[")),
            }
        }
    }

    fn quoted(&mut self) -> Result<String, String> {
        self.chars.next();
        let mut text = String::new();
        loop {
            match self.chars.next() {
                Some((_, '"')) if self.chars.next_if(|(_, c)| *c == '"').is_some() => {
                    text.push('"')
                }
                Some((_, '"')) => return Ok(text),
                Some((_, c)) => text.push(c),
                None => return Err("unterminated quoted text".into()),
            }
        }
    }

    fn number(&mut self) -> Result<Arg, String> {
        let mut digits = String::new();
        while let Some((_, c)) = self
            .chars
            .next_if(|(_, c)| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            digits.push(c);
        }
        digits
            .parse()
            .map(Arg::Number)
            .map_err(|_| format!("bad number {digits:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_nodes() {
        let node = parse(r#"GEOGCS["GCS_X",DATUM["D",SPHEROID["S",6378137.0,298.257222101]],UNIT["Degree",0.0174532925199433]]"#)
            .unwrap();
        assert_eq!(node.name(), Some("GCS_X"));
        assert_eq!(
            node.find("SPHEROID").unwrap().numbers(),
            vec![6378137.0, 298.257222101]
        );
    }

    #[test]
    fn reads_wkt2_enumeration_words() {
        let node = parse(r#"PROJCRS["P",CS[Cartesian,2],AXIS["easting",east,ORDER[1]]]"#).unwrap();
        let cs = node.child("CS").unwrap();
        assert_eq!(
            cs.args,
            vec![Arg::Text("Cartesian".into()), Arg::Number(2.0)]
        );
        assert_eq!(node.child("AXIS").unwrap().numbers(), Vec::<f64>::new());
        assert_eq!(node.child("AXIS").unwrap().name(), Some("easting"));
    }

    #[test]
    fn reports_truncation() {
        assert!(parse(r#"GEOGCS["GCS_X",DATUM["D""#).is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!(
            "PROJCS[\"x\",{}{}]",
            "A[".repeat(20_000),
            "]".repeat(20_000)
        );
        let err = parse(&deep).unwrap_err();
        assert!(err.contains("nested more than 64 deep"), "{err}");
        // 64 levels are still read.
        let ok = format!("{}{}", "A[".repeat(64), "]".repeat(64));
        assert!(parse(&ok).is_ok());
    }
}
