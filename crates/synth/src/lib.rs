//! The seeded synthetic county generator of redline (townships, a land-use coverage, basic
//! farmland, approvals, supplements, change patches). Filled by the synth issue; the crate exists
//! now so that the workspace has its final shape.
#![deny(missing_docs)]
