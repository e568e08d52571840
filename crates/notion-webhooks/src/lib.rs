#![doc = include_str!("../README.md")]

mod batch;
mod envelope;
mod signature;

pub use batch::{BatchPlan, Disposition, IgnoreReason, PageRead, order_events, plan_batch};
pub use envelope::{
    Author, AuthorType, Entity, Envelope, EventType, Incoming, ParseError, parse_body,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, is_well_formed, sign, verify_signature};

/// The largest body the receiver accepts, in bytes. Notion's bodies are signals of a few hundred
/// bytes (ids, a type, a handful of property ids); 64 KiB leaves room for long `accessible_by` and
/// `updated_properties` lists while keeping a flood of large bodies cheap to refuse.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
