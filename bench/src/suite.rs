//! One benchmark run: build the bank, measure qbank on it, then the baseline
//! with responses captured from qbank, and report. One server runs at a time,
//! so each has its CPU to itself.

use std::{
    ffi::OsStr,
    fs::File,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use qbank::pb::question_bank_client::QuestionBankClient;
use tonic::transport::Channel;

use crate::{
    BenchResult,
    args::{Measured, RunArgs},
    bank,
    baseline::Responses,
    floor,
    load::{self, LoadShape},
    process::{ServerProcess, pin_this_process},
    report::{Report, ServerResults},
    workload::{self, Rpc, Workload},
};

/// The service whose health says qbank is ready.
const QBANK_SERVICE: &str = "qbank.v1.QuestionBank";

/// The RPCs measured on both servers, and the flag that selects each.
const COMPARED: [(Measured, Rpc); 5] = [
    (Measured::Get, Rpc::GetQuestion),
    (Measured::List, Rpc::ListQuestions),
    (Measured::Submit, Rpc::SubmitAnswer),
    (Measured::Batch, Rpc::BatchGet),
    (Measured::Draw, Rpc::Draw),
];

/// Runs the benchmark as `args` say and prints the report.
pub(crate) fn run(args: &RunArgs) -> BenchResult<()> {
    let pinned = !args.no_pin;
    if pinned {
        // Before the runtime exists, so every thread it starts inherits this.
        pin_this_process(args.load_cpu)?;
    }
    // One thread: the generator is pinned to one CPU, and a single-threaded
    // runtime spends none of it on work stealing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(args, pinned))?;
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

async fn measure(args: &RunArgs, pinned: bool) -> BenchResult<Report> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bank.db");
    progress(&format!("building a bank of {} questions", args.bank));
    let built = Instant::now();
    let (db_for_build, size) = (db.clone(), args.bank);
    tokio::task::spawn_blocking(move || bank::build(&db_for_build, size, bank::ATTEMPTS)).await??;
    let bank_build = built.elapsed();
    let plan = Plan {
        args,
        server_cpu: pinned.then_some(args.server_cpu),
        shape: LoadShape {
            connections: args.connections,
            concurrency: args.concurrency,
            warmup: args.warmup,
            duration: args.duration,
        },
        dir: dir.path(),
    };

    let (qbank, start_to_serving, workload) = measure_qbank(&plan, &db).await?;
    let baseline = measure_baseline(&plan, &workload).await?;
    // Last: it records attempts in the bank.
    let storage_floor = if args.measures(Measured::Floor) {
        progress("measuring SQLite alone on the bank");
        // At least one attempt per commit, whatever the concurrency says.
        let (db, bank, batch) = (db.clone(), args.bank, args.concurrency.max(1));
        let (warmup, duration) = (args.warmup, args.duration);
        let measured =
            tokio::task::spawn_blocking(move || floor::measure(&db, bank, batch, warmup, duration));
        Some(measured.await??)
    } else {
        None
    };
    Ok(Report {
        settings: args.clone(),
        pinned,
        bank_build,
        start_to_serving,
        filtered_pages: workload.filtered_pages(),
        deep_page_depth: workload.deep_page_depth(),
        qbank,
        baseline,
        storage_floor,
    })
}

/// What both servers are measured with.
struct Plan<'run> {
    args: &'run RunArgs,
    server_cpu: Option<usize>,
    shape: LoadShape,
    /// The run's temporary directory: database, logs, captured responses.
    dir: &'run Path,
}

/// Starts qbank on `db`, prepares the workload and captures the baseline's
/// responses from it, then measures it. Returns its results, its start time
/// and the workload.
async fn measure_qbank(
    plan: &Plan<'_>,
    db: &Path,
) -> BenchResult<(ServerResults, Duration, Arc<Workload>)> {
    progress("starting qbank on the bank");
    let qbank_args = [OsStr::new("serve-real"), OsStr::new("--db"), db.as_os_str()];
    let qbank =
        ServerProcess::start(&qbank_args, plan.server_cpu, log_file(plan.dir, "qbank")?).await?;
    let start_to_serving = qbank.wait_until_serving(QBANK_SERVICE).await?;

    let mut client = connect(&qbank).await?;
    progress("paging through qbank for page tokens");
    let args = plan.args;
    let workload = Workload::prepare(
        &mut client,
        args.bank,
        args.measures(Measured::List),
        args.measures(Measured::Deep),
    )
    .await?;
    Responses::capture(&mut client, &workload)
        .await?
        .save(plan.dir)?;
    let workload = Arc::new(workload);

    let mut results = measure_compared(&qbank, "qbank", plan, &workload).await?;
    if args.measures(Measured::Deep) {
        let pages = LoadShape {
            concurrency: args.page_concurrency,
            ..plan.shape
        };
        let rpcs = [Rpc::FirstPage, Rpc::DeepPage];
        progress("measuring qbank's first and deep pages, alternating");
        let measurements = load::measure_alternating(&qbank, &workload, &rpcs, pages).await?;
        results
            .measurements
            .extend(rpcs.into_iter().zip(measurements));
    }
    if args.measures(Measured::Search) {
        progress("measuring qbank's search");
        let measurement = load::measure(&qbank, &workload, Rpc::Search, plan.shape).await?;
        results.measurements.push((Rpc::Search, measurement));
        results.first_time_search = Some(workload::first_time_search_latency(&mut client).await?);
    }
    if args.measures(Measured::Stats) {
        progress("measuring qbank's GetQuestionStats, one call in flight");
        let one_in_flight = LoadShape {
            concurrency: args.page_concurrency,
            ..plan.shape
        };
        let measurement = load::measure(&qbank, &workload, Rpc::Stats, one_in_flight).await?;
        results.measurements.push((Rpc::Stats, measurement));
    }
    results.peak_rss_kib = qbank.peak_rss_kib()?;
    qbank.stop().await?;
    Ok((results, start_to_serving, workload))
}

/// Starts the baseline with the responses captured from qbank and measures it.
async fn measure_baseline(plan: &Plan<'_>, workload: &Arc<Workload>) -> BenchResult<ServerResults> {
    progress("starting the baseline");
    let baseline_args = [
        OsStr::new("serve-baseline"),
        OsStr::new("--responses"),
        plan.dir.as_os_str(),
    ];
    let baseline = ServerProcess::start(
        &baseline_args,
        plan.server_cpu,
        log_file(plan.dir, "baseline")?,
    )
    .await?;
    let mut results = measure_compared(&baseline, "the baseline", plan, workload).await?;
    results.peak_rss_kib = baseline.peak_rss_kib()?;
    baseline.stop().await?;
    Ok(results)
}

/// Measures `server` under each RPC the run compares.
async fn measure_compared(
    server: &ServerProcess,
    name: &str,
    plan: &Plan<'_>,
    workload: &Arc<Workload>,
) -> BenchResult<ServerResults> {
    let mut results = ServerResults::default();
    for (measured, rpc) in COMPARED {
        if plan.args.measures(measured) {
            progress(&format!("measuring {name} {}", rpc.name()));
            let measurement = load::measure(server, workload, rpc, plan.shape).await?;
            results.measurements.push((rpc, measurement));
        }
    }
    Ok(results)
}

async fn connect(server: &ServerProcess) -> BenchResult<QuestionBankClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{}", server.addr()))?
        .timeout(Duration::from_secs(30))
        .connect()
        .await?;
    Ok(QuestionBankClient::new(channel))
}

/// The child's standard error: qbank logs a line per call, which a terminal
/// would slow down and a file does not.
fn log_file(dir: &Path, server: &str) -> BenchResult<File> {
    Ok(File::create(dir.join(format!("{server}.log")))?)
}

/// Progress goes to standard error, so `--json` output stays one object.
fn progress(step: &str) {
    eprintln!("qbank-bench: {step}");
}
