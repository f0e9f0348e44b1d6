//! picket-sapient against the official BSI Flex 335 v2.0 samples, the sapient-py referee,
//! hand-built cases and mutated input.

mod framing;
mod mapping;
mod mutation;
mod referee;
mod samples;
mod session;
mod validation;

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Resolved, so a venv interpreter reached through it finds its pyvenv.cfg.
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The shared test data folder: `PICKET_SHARED_DATA`, or `<workspace>/../shared/data`.
pub fn shared_data() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"))
}

/// Bytes of a SAPIENT sample; fails the test with a clear message when it is missing.
pub fn sample(name: &str) -> Vec<u8> {
    let path = shared_data().join("sapient").join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "shared SAPIENT sample {} is missing ({e}); set PICKET_SHARED_DATA to the shared/data folder",
            path.display()
        )
    })
}

/// The three official sample names (without extension).
pub const SAMPLES: [&str; 3] = [
    "dstl_testharness_Default.Registration",
    "dstl_testharness_Default.StatusReport",
    "dstl_testharness_Default.DetectionReport",
];

/// The referee Python interpreter; fails the test when it is missing.
pub fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        p.exists(),
        "referee Python {} is missing: run scripts/referees.sh (or set PICKET_REFEREE_PYTHON)",
        p.display()
    );
    p
}

/// Runs `tests/sapient_referee.py <args>` with `stdin`, returning stdout lines; fails the test
/// when the referee fails.
pub fn referee(args: &[&str], stdin: &str) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_referee.py");
    let mut child = Command::new(referee_python())
        .arg(&script)
        .args(args)
        .env("PICKET_SHARED_DATA", shared_data())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the referee");
    {
        use std::io::Write;
        let mut si = child.stdin.take().expect("stdin");
        si.write_all(stdin.as_bytes()).expect("write to referee");
    }
    let out = child.wait_with_output().expect("referee output");
    assert!(
        out.status.success(),
        "referee {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes of lower- or upper-case hex.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Records the largest single allocation made by the current thread, so tests can prove a
/// hostile length was refused before any buffer of that size was requested.
pub mod alloc_probe {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    struct Probe;

    unsafe impl GlobalAlloc for Probe {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            System.dealloc(ptr, layout)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            System.realloc(ptr, layout, new_size)
        }
    }

    fn note(size: usize) {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    }

    #[global_allocator]
    static GLOBAL: Probe = Probe;

    /// Runs `f` and returns its result with the largest allocation it made on this thread.
    pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
        LARGEST.with(|l| l.set(0));
        let out = f();
        (out, LARGEST.with(Cell::get))
    }
}
