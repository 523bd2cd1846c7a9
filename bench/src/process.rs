//! Process control. The benchmark side starts a server under test as a child
//! (this binary, re-executed), pinned to a CPU, and reads its CPU time and peak
//! memory from `/proc`. The child side announces its address on standard
//! output and stops when its standard input closes, so a child never outlives
//! a benchmark that died.

use std::{
    ffi::OsStr,
    io::Write as _,
    net::SocketAddr,
    process::Stdio,
    sync::OnceLock,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader},
    process::{Child, Command},
};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::BenchResult;

/// Where servers under test listen: loopback only, on a port the kernel picks.
pub(crate) const LOOPBACK: &str = "127.0.0.1:0";

/// The child's first line on standard output, followed by its address.
const LISTENING: &str = "listening ";

/// A child that has not bound its port by then is broken, not slow.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Longer than the real server's drain after its input closes.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A server under test running as a child process.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    spawned: Instant,
}

impl ServerProcess {
    /// Re-executes this binary with `args`, pinned to `cpu` if given, its
    /// standard error going to `log`. Returns once the child has bound its
    /// listener; calls made from then on queue until it serves.
    pub(crate) async fn start(
        args: &[&OsStr],
        cpu: Option<usize>,
        log: std::fs::File,
    ) -> BenchResult<Self> {
        let exe = std::env::current_exe()?;
        // taskset execs the program, so the pid we get is the server's own.
        let mut command = match cpu {
            Some(cpu) => {
                let mut taskset = Command::new("taskset");
                taskset.arg("--cpu-list").arg(cpu.to_string()).arg(exe);
                taskset
            }
            None => Command::new(exe),
        };
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = command.spawn()?;
        let pid = child.id().ok_or("the server child exited at once")?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the child has no standard output")?;
        let first_line = tokio::time::timeout(START_TIMEOUT, async {
            BufReader::new(stdout).lines().next_line().await
        })
        .await
        .map_err(|_| "the server child did not start listening in time")??;
        let addr = first_line
            .as_deref()
            .and_then(|line| line.strip_prefix(LISTENING))
            .ok_or("the server child exited before listening (see its log)")?
            .parse()?;
        Ok(Self {
            child,
            pid,
            addr,
            spawned,
        })
    }

    /// The address the child listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How long after its spawn the child's health service first answered
    /// SERVING for `service`; waits for that.
    pub(crate) async fn wait_until_serving(&self, service: &str) -> BenchResult<Duration> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))?
            .connect()
            .await?;
        let mut health = HealthClient::new(channel);
        let deadline = self.spawned + START_TIMEOUT;
        loop {
            let request = HealthCheckRequest {
                service: service.to_owned(),
            };
            // Unknown or not yet serving: the server is still starting.
            if let Ok(response) = health.check(request).await
                && response.into_inner().status() == ServingStatus::Serving
            {
                return Ok(self.spawned.elapsed());
            }
            if Instant::now() > deadline {
                return Err(format!("{service} never reported SERVING").into());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// CPU time (user and system) the child has used so far.
    pub(crate) fn cpu_time(&self) -> BenchResult<Duration> {
        cpu_time(&self.pid.to_string())
    }

    /// The child's peak resident set size so far, in KiB (`VmHWM`).
    pub(crate) fn peak_rss_kib(&self) -> BenchResult<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmHWM in /proc/<pid>/status".into())
    }

    /// Closes the child's standard input, which asks it to shut down, and
    /// waits for it to exit.
    pub(crate) async fn stop(mut self) -> BenchResult<()> {
        drop(self.child.stdin.take());
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(_)) => Err("the server child failed (see its log)".into()),
            Ok(Err(error)) => Err(error.into()),
            Err(_) => {
                self.child.kill().await?;
                Err("the server child did not stop in time and was killed".into())
            }
        }
    }
}

/// CPU time (user and system) used by process `pid` (`"self"`: this one),
/// including its finished threads.
pub(crate) fn cpu_time(pid: &str) -> BenchResult<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let after_name = stat.rsplit_once(')').ok_or("malformed /proc/<pid>/stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> BenchResult<u64> {
        Ok(fields.get(index).ok_or("short /proc/<pid>/stat")?.parse()?)
    };
    // utime and stime are fields 14 and 15; `fields` starts at field 3.
    let total_ticks = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(
        total_ticks as f64 / clock_ticks_per_second() as f64,
    ))
}

/// The unit of `/proc/<pid>/stat` times; 100 on every common Linux.
fn clock_ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// Pins this process, and the threads it starts from now on, to `cpu`.
/// Called before the async runtime starts, while the process is one thread.
pub(crate) fn pin_this_process(cpu: usize) -> BenchResult<()> {
    let status = std::process::Command::new("taskset")
        .args(["--all-tasks", "--cpu-list", "--pid"])
        .arg(cpu.to_string())
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("taskset could not pin the load generator to CPU {cpu}").into())
    }
}

/// Child side: tells the benchmark where this server listens.
pub(crate) fn announce(addr: SocketAddr) -> BenchResult<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{LISTENING}{addr}")?;
    stdout.flush()?;
    Ok(())
}

/// Child side: completes when the benchmark closes this process's standard
/// input (or dies, which closes it too).
pub(crate) async fn stdin_closed() {
    let mut sink = [0; 64];
    let mut stdin = tokio::io::stdin();
    while let Ok(read) = stdin.read(&mut sink).await {
        if read == 0 {
            break;
        }
    }
}
