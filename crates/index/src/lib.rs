//! Spatial indexes of redline: the `ParcelIndex` (rstar, bulk-loaded envelopes carrying feature
//! indices) and the township-boundary edge index. Filled by the overlay-engine issue; the crate
//! exists now so that the workspace has its final shape.
#![deny(missing_docs)]
