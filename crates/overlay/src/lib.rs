//! The overlay engine of redline (filter → refine, the four metric families, the parallel
//! driver). Filled by the overlay-engine issue; the crate exists now so that the workspace has
//! its final shape. It never depends on file formats or C libraries.
#![deny(missing_docs)]
