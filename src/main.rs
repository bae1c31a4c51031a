use clap::Parser;

fn main() -> std::process::ExitCode {
    tune_malloc();
    let cli = gemba::cli::Cli::parse();
    // One worker per core unless TOKIO_WORKER_THREADS says otherwise
    // (README: Configuration).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(gemba::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc tuning, before any thread starts, unless the operator sets the
/// variables themselves:
///
/// - Two arenas (`MALLOC_ARENA_MAX`). glibc gives each thread that allocates
///   its own arena (up to 8 per core) and keeps what each arena once held: a
///   report job, whose rows are read on one thread and written on another,
///   left ~14 MiB more resident with the default (bench/report.sh).
/// - A fixed mmap threshold of 1 MiB (`MALLOC_MMAP_THRESHOLD_`). Each
///   password hash takes 19 MiB (Argon2id); with glibc's dynamic threshold
///   the first free raised it to 19 MiB, after which every hash took its
///   memory from an arena and left it there: the resident set grew by
///   19 MiB per login up to ~200 MiB after ten. Above the fixed threshold a
///   block is mapped for the hash and unmapped right after.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            // SAFETY: mallopt only changes allocator tuning; it is called
            // before any other thread exists.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            // SAFETY: as above.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
            }
        }
    }
}
