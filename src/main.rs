/// mimalloc: policy evaluation allocates and frees many small values, which the system
/// allocator serves several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Deeply nested input is bounded by the loader's depth budget; generous stacks keep the
/// recursive parser and Rego evaluator well inside their limits even in debug builds.
const STACK_BYTES: usize = 64 << 20;

fn main() {
    let (cli, matches) = plumbline::cli::parse();
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES / 4)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("plumbline".into())
        .stack_size(STACK_BYTES)
        .spawn(move || plumbline::cli::run(cli, &matches))
        .expect("spawn the main worker thread");
    std::process::exit(worker.join().unwrap_or(plumbline::findings::exit::USAGE));
}
