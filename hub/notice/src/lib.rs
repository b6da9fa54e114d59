//! Assistance notices (协助执行通知书 for a control order, 协助查询通知书 for an inquiry): the
//! document an off-line agency receives instead of an online instruction, signed by the hub's
//! instruction key with a QR code that carries the signed payload so the agency can verify
//! it off-line. Used by the hub (render), hubctl (verify) and any agency.
//!
//! - [`payload`]: what is signed (the same canonical instruction an online agency receives),
//!   the `AHN1` QR text and the signature check;
//! - [`model`]: the notice as a document and the printed lines that state the payload;
//! - [`font`]: finding a CJK font; [`render`]: the PDF;
//! - [`verify`]: reading a scan or a PDF back and checking it.

pub mod font;
pub mod model;
pub mod payload;
pub mod render;
pub mod verify;

pub use font::{CjkFont, FontError};
pub use model::{Extras, Notice};
pub use payload::{InquiryFields, PublicKeys, Signed, SignedPayload, VerifyError};
pub use render::{render, RenderError};
pub use verify::{verify_file, verify_qr_text, Verified};
