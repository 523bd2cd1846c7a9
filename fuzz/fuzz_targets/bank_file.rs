//! The bank-file parser reads operator-supplied files: any input must parse
//! into valid questions or fail with an error, never panic.

#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use qbank::domain::bank_file;

fuzz_target!(|text: &str| {
    if let Ok(questions) = bank_file::parse(text, SystemTime::UNIX_EPOCH) {
        for question in &questions {
            assert_eq!(question.validate(), Ok(()));
        }
    }
});
