//! Page-token decoding takes text straight from the network: whatever it is
//! given, it must answer Ok or Err, never panic, and only accept what it signed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use qbank::domain::{
    listing::QuestionFilter,
    page_token::{PageTokenCodec, SIGNING_KEY_LEN},
};

fuzz_target!(|token: &str| {
    let codec = PageTokenCodec::new(&[42; SIGNING_KEY_LEN]);
    let filter = QuestionFilter::default();
    if let Ok(last_id) = codec.decode(&filter, token) {
        // Anything accepted must be exactly what encoding that id produces.
        assert_eq!(codec.encode(&filter, &last_id), token);
    }
});
