//! `qbank search QUERY`: the questions whose stems or choices match, best match first, paged
//! and printed as `list` prints them.

use std::io::Write;

use super::Format;
use super::list::{Listing, write_listing};
use crate::args::SearchArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;

/// Searches and prints the matching questions.
pub(super) async fn run(
    client: &mut Client,
    args: &SearchArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // The command line refuses a blank query, which the server would take as no query at all
    // and answer with every question.
    let query = args.query();
    let listing = Listing {
        args: &args.list,
        query: &query,
        languages,
    };
    write_listing(client, &listing, format, out).await
}
