// SPDX-License-Identifier: LGPL-2.1-or-later
//! bench REGION [CALLS] [RUNS] - ns per call of this crate's now(),
//! libtsmon's tsmon_now() and clock_gettime(CLOCK_REALTIME), in one
//! process on one region (a file made by mkregion with a synchronised
//! clock). Each figure is the median (and best) of RUNS runs of CALLS
//! calls; the three run interleaved so that they share the machine's
//! state. The only code of the crate that links libtsmon (feature
//! ffi-bench).

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_long, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use tsmon::{Time, Tsmon, CLOCK_SYNCHRONIZED};

#[repr(C)]
struct Timespec {
    tv_sec: c_long,
    tv_nsec: c_long,
}

#[link(name = "tsmon")]
extern "C" {
    fn tsmon_open(path: *const c_char, out: *mut *mut c_void) -> c_int;
    fn tsmon_close(t: *mut c_void);
    // tsmon_now() is an inline wrapper of this with sizeof(struct tsmon_time).
    fn tsmon_now_sz(t: *const c_void, out: *mut Time, size: usize) -> c_int;
}

extern "C" {
    fn clock_gettime(clk: c_int, ts: *mut Timespec) -> c_int;
}

const CLOCK_REALTIME: c_int = 0;

/// libtsmon's handle, closed on drop.
struct CHandle(*mut c_void);

impl CHandle {
    fn open(path: &Path) -> Result<CHandle, c_int> {
        let p = CString::new(path.as_os_str().as_bytes()).map_err(|_| -22)?;
        let mut t = std::ptr::null_mut();
        // SAFETY: p is a NUL-terminated path, t a valid out pointer.
        let r = unsafe { tsmon_open(p.as_ptr(), &mut t) };
        if r == 0 {
            Ok(CHandle(t))
        } else {
            Err(r)
        }
    }

    fn now(&self, out: &mut Time) -> c_int {
        // SAFETY: an open handle; Time is struct tsmon_time (tests/layout.rs).
        unsafe { tsmon_now_sz(self.0, out, std::mem::size_of::<Time>()) }
    }
}

impl Drop for CHandle {
    fn drop(&mut self) {
        // SAFETY: opened by tsmon_open(), closed once.
        unsafe { tsmon_close(self.0) }
    }
}

fn realtime() -> u64 {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out pointer.
    unsafe { clock_gettime(CLOCK_REALTIME, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// ns per call of `f` over `calls` calls.
fn run(calls: u32, mut f: impl FnMut() -> u64, sink: &mut u64) -> f64 {
    let start = Instant::now();
    let mut acc = 0u64;
    for _ in 0..calls {
        acc = acc.wrapping_add(f());
    }
    let ns = start.elapsed().as_nanos() as f64;
    *sink = sink.wrapping_add(acc);
    ns / calls as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 || args.len() > 4 {
        eprintln!("usage: bench REGION [CALLS] [RUNS]");
        return ExitCode::from(2);
    }
    let path = Path::new(&args[1]);
    let calls: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    let runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7);

    let t = match Tsmon::open(Some(path)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench: {}: {}", path.display(), e);
            return ExitCode::from(1);
        }
    };
    let c = match CHandle::open(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: tsmon_open({}): {}", path.display(), e);
            return ExitCode::from(1);
        }
    };

    // Both readers must agree on what they measure: the common path.
    let mine = t.now();
    let mut theirs = Time::default();
    let r = c.now(&mut theirs);
    match mine {
        Ok(m) if r == 0 && m.status == theirs.status && m.flags == theirs.flags => {
            if m.status != CLOCK_SYNCHRONIZED {
                eprintln!(
                    "bench: note: the region's clock is not synchronised (status {}): \
                     the slow path is measured",
                    m.status
                );
            }
        }
        _ => {
            eprintln!("bench: the crate and libtsmon disagree: {:?} / {} {:?}", mine, r, theirs);
            return ExitCode::from(1);
        }
    }

    let mut sink = 0u64;
    let (mut crate_ns, mut c_ns, mut rt_ns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        crate_ns.push(run(calls, || t.now().map_or(0, |x| x.real_ns), &mut sink));
        c_ns.push(run(
            calls,
            || {
                let mut x = Time::default();
                c.now(&mut x);
                x.real_ns
            },
            &mut sink,
        ));
        rt_ns.push(run(calls, realtime, &mut sink));
    }
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let (bc, bl, br) = (best(&crate_ns), best(&c_ns), best(&rt_ns));
    let (mc, ml, mr) = (median(&mut crate_ns), median(&mut c_ns), median(&mut rt_ns));
    println!("now() cost, {} runs x {} calls (ns/call)", runs, calls);
    println!("  {:<34} {:>8} {:>8} {:>9}", "", "median", "best", "vs rt");
    println!("  {:<34} {:>8.1} {:>8.1} {:>9.2}", "clock_gettime(CLOCK_REALTIME)", mr, br, 1.0);
    println!("  {:<34} {:>8.1} {:>8.1} {:>9.2}", "libtsmon tsmon_now()", ml, bl, ml / mr);
    println!("  {:<34} {:>8.1} {:>8.1} {:>9.2}", "tsmon crate Tsmon::now()", mc, bc, mc / mr);
    println!("  crate / libtsmon: {:.2}", mc / ml);
    if sink == 42 {
        println!("(sink {})", sink);
    }
    ExitCode::SUCCESS
}
