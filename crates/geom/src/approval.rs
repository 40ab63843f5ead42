//! The default meaning of approval kinds (PZLX): what a job assumes when it gives no `kinds`
//! table, and what the synthetic county's job file writes out. One list for both.

/// `PZLX` value → approval kind name (`conversion`, `supply`, `early_use`, `temporary`,
/// `facility_agri`): 农用地转用 and 土地征收 batches convert farmland (they debit the
/// occupation/compensation ledger), 供地 supplies land, 先行用地 allows early use, 临时用地
/// and 设施农用地 are temporary and facility-agriculture uses.
pub const DEFAULT_APPROVAL_KINDS: [(&str, &str); 6] = [
    ("农用地转用", "conversion"),
    ("土地征收", "conversion"),
    ("供地", "supply"),
    ("先行用地", "early_use"),
    ("临时用地", "temporary"),
    ("设施农用地", "facility_agri"),
];
