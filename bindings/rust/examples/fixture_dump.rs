// SPDX-License-Identifier: LGPL-2.1-or-later
//! fixture_dump REGION - what this crate reads from a region, in the
//! format of tests/fixtures/FORMAT.md, line for line what
//! tests/fixtures/dump.c prints through libtsmon.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tsmon::*;

const MAX_RECORDS: usize = 100_000;

fn ret<T>(r: &Result<T>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.errno(),
    }
}

fn hex(out: &mut String, b: &[u8]) {
    for c in b {
        let _ = write!(out, "{:02x}", c);
    }
}

fn dump_info(o: &mut String, t: &Tsmon) {
    let i = t.info();
    let _ = writeln!(
        o,
        "info abi_version={} header_size={} health_size={} record_size={} ring_entries={} \
         region_size={} instance_id={} load_real_ns={} load_mono_ns={}",
        i.abi_version,
        i.header_size,
        i.health_size,
        i.record_size,
        i.ring_entries,
        i.region_size,
        i.instance_id,
        i.load_real_ns,
        i.load_mono_ns
    );
}

fn dump_health(o: &mut String, t: &Tsmon) {
    let r = t.health();
    let _ = write!(o, "health {} ", ret(&r));
    if let Ok(h) = &r {
        hex(o, h.as_bytes());
    }
    o.push('\n');

    let mut prefix = [0u8; 64];
    let r = t.health_into(&mut prefix);
    let _ = write!(o, "health_prefix {} ", ret(&r));
    if r.is_ok() {
        hex(o, &prefix);
    }
    o.push('\n');
}

fn dump_cursors(o: &mut String, t: &Tsmon, head: u64) {
    let cases = [
        (Whence::Oldest, 0, false),
        (Whence::Now, 0, false),
        (Whence::Seq, 0, false),
        (Whence::Seq, 1, false),
        (Whence::Seq, 0, true),
        (Whence::Seq, 1, true),
        (Whence::Seq, 2, true),
    ];
    for (whence, add, rel) in cases {
        let seq = if rel { head } else { 0 }.wrapping_add(add);
        let r = t.cursor_init(whence, seq);
        let next = r.as_ref().map_or(0, |c| c.next());
        let _ = writeln!(o, "cursor {} {} {} {}", whence as u32, seq, ret(&r), next);
    }
}

fn dump_ring(o: &mut String, t: &Tsmon) {
    let mut cur = t.cursor_init(Whence::Oldest, 0).unwrap_or_else(|_| Cursor::from_raw(0, 0));
    let mut r = Ok(());
    for _ in 0..MAX_RECORDS {
        match t.next(&mut cur) {
            Ok(rec) => {
                o.push_str("rec 0 ");
                hex(o, rec.as_bytes());
                o.push('\n');
            }
            Err(e) => {
                r = Err(e);
                break;
            }
        }
    }
    let _ = writeln!(o, "rec_end {} {}", ret(&r), cur.next());

    // From the first record ever: what a reader that fell behind sees.
    let mut cur = t.cursor_init(Whence::Seq, 1).unwrap_or_else(|_| Cursor::from_raw(0, 0));
    for _ in 0..3 {
        let r = t.next(&mut cur);
        let _ = write!(o, "rec1 {} ", ret(&r));
        if let Ok(rec) = &r {
            hex(o, rec.as_bytes());
        }
        o.push('\n');
        if r.is_err() {
            break;
        }
    }

    let mut cur = t.cursor_init(Whence::Oldest, 0).unwrap_or_else(|_| Cursor::from_raw(0, 0));
    let mut small = [0u8; 64];
    let r = t.next_into(&mut cur, &mut small);
    let _ = write!(o, "next_size {} ", ret(&r));
    if r.is_ok() {
        hex(o, &small);
    }
    o.push('\n');

    let c = t.cursor_init(Whence::Oldest, 0).unwrap_or_else(|_| Cursor::from_raw(0, 0));
    let mut stale = Cursor::from_raw(c.next(), c.instance_id().wrapping_add(1));
    let _ = writeln!(o, "next_stale {}", ret(&t.next(&mut stale)));

    let mut zero = Cursor::from_raw(0, 0);
    let _ = writeln!(o, "next_zero {}", ret(&t.next(&mut zero)));
}

fn dump_reads(o: &mut String, t: &Tsmon) {
    const DELTAS: [i64; 12] = [
        -2_000_000_000,
        -1,
        0,
        1,
        1_000_000,
        1_000_000_000,
        4_999_999_999,
        5_000_000_000,
        5_000_000_001,
        60_000_000_000,
        3_600_000_000_000,
        8_192_000_000_001,
    ];
    const LIMITS: [u64; 2] = [1_000_000, 1_000_000_000];
    let h = t.health().unwrap_or_default();
    let bases = [
        h.sync_mono_ns,
        h.disrupt_mono_ns,
        h.ntp_capture_mono_ns,
        h.update_mono_ns,
        h.vm_disrupt_mono_ns,
        t.info().load_mono_ns,
    ];
    for base in bases {
        if base == 0 {
            continue;
        }
        for d in DELTAS {
            if d < 0 && base < d.unsigned_abs() {
                continue;
            }
            let q = base.wrapping_add(d as u64);
            let r = t.now_at(q);
            let tm = *r.as_ref().unwrap_or(&Time::default());
            let _ = writeln!(
                o,
                "now_at {} {} real={} earliest={} latest={} bound={} age={} held={} status={} flags={}",
                q,
                ret(&r),
                tm.real_ns,
                tm.earliest_ns,
                tm.latest_ns,
                tm.bound_ns,
                tm.sync_age_ns,
                tm.held_ns,
                tm.status,
                tm.flags
            );
            // The decision one_way_valid() makes on such a read.
            for l in LIMITS {
                let v = r.is_ok() && tm.one_way_valid(l);
                let _ = writeln!(o, "owv {} {} {}", q, l, v as i32);
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: fixture_dump REGION");
        return ExitCode::from(2);
    }
    let path = Path::new(&args[1]);
    let mut o = String::new();
    let code = run(&mut o, path);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if out.write_all(o.as_bytes()).and_then(|_| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::from(code)
}

fn run(o: &mut String, path: &Path) -> u8 {
    let t = Tsmon::open(Some(path));
    let _ = writeln!(o, "open {}", ret(&t));
    let t = match t {
        Ok(t) => t,
        Err(_) => return 0,
    };
    dump_info(o, &t);
    dump_health(o, &t);
    let head = t.head();
    let _ = writeln!(o, "head 0 {}", head);
    dump_cursors(o, &t, head);
    dump_ring(o, &t);

    // Each setting on a fresh handle: nothing carries over.
    drop(t);
    let t = match Tsmon::open(Some(path)) {
        Ok(t) => t,
        Err(_) => return 1,
    };
    o.push_str("settings default\n");
    dump_reads(o, &t);
    o.push_str("settings kernel\n");
    let _ = writeln!(o, "set_drift 500000 {}", ret(&t.set_drift(500_000)));
    let _ = writeln!(o, "set_cooldown 1000000000 {}", ret(&t.set_cooldown(1_000_000_000)));
    let _ = writeln!(o, "set_stale_factor 2 {}", ret(&t.set_stale_factor(2)));
    dump_reads(o, &t);
    o.push_str("settings tight\n");
    let _ = writeln!(o, "set_drift 0 {}", ret(&t.set_drift(0)));
    let _ = writeln!(o, "set_cooldown 0 {}", ret(&t.set_cooldown(0)));
    let _ = writeln!(o, "set_stale_factor 1 {}", ret(&t.set_stale_factor(1)));
    let _ = writeln!(o, "set_drift 1000000001 {}", ret(&t.set_drift(1_000_000_001)));
    let _ = writeln!(o, "set_stale_factor 0 {}", ret(&t.set_stale_factor(0)));
    dump_reads(o, &t);
    o.push_str("end\n");
    0
}
