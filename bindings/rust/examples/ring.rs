// SPDX-License-Identifier: LGPL-2.1-or-later
//! ring [PATH] - every record of the ring from the oldest, one JSON object
//! a line, with the keys, key order and value formatting of
//! `tsmon ring --json` (tools/print.c, tools/json.c) for every event type.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tsmon::*;

/// STA_* bits by name, in bit order (tools/print.c sta_names[]).
const STA_NAMES: &[(u32, &str)] = &[
    (0x0001, "PLL"),
    (0x0002, "PPSFREQ"),
    (0x0004, "PPSTIME"),
    (0x0008, "FLL"),
    (0x0010, "INS"),
    (0x0020, "DEL"),
    (0x0040, "UNSYNC"),
    (0x0080, "FREQHOLD"),
    (0x0100, "PPSSIGNAL"),
    (0x0200, "PPSJITTER"),
    (0x0400, "PPSWANDER"),
    (0x0800, "PPSERROR"),
    (0x1000, "CLOCKERR"),
    (0x2000, "NANO"),
    (0x4000, "MODE"),
    (0x8000, "CLK"),
];

/// The VMClock page's one-byte fields, by value (None: printed as a number).
const VM_CLOCK_STATUSES: &[Option<&str>] = &[
    Some("unknown"),
    Some("initializing"),
    Some("synchronized"),
    Some("free_running"),
    Some("unreliable"),
];
const VM_TIME_TYPES: &[Option<&str>] = &[Some("utc"), Some("tai"), Some("monotonic")];
const VM_LEAP_INDICATORS: &[Option<&str>] = &[
    Some("none"),
    Some("pre_pos"),
    Some("pre_neg"),
    Some("pos"),
    Some("post_pos"),
    Some("post_neg"),
];

fn vm_counter_name(v: u32) -> Option<&'static str> {
    match v {
        0 => Some("arm_vcnt"),
        1 => Some("tsc"),
        VM_COUNTER_NONE => Some("none"),
        _ => None,
    }
}

fn table_name(names: &[Option<&'static str>], v: u32) -> Option<&'static str> {
    names.get(v as usize).copied().flatten()
}

/// An enum value's name, "unknown" for one without (print.c enum_name()).
fn or_unknown(name: Option<&'static str>) -> &'static str {
    name.unwrap_or("unknown")
}

fn step_reason_name(v: u32) -> &'static str {
    or_unknown(table_name(&[Some("unknown"), Some("settime"), Some("setoffset")], v))
}

fn leap_direction_name(v: u32) -> &'static str {
    or_unknown(table_name(&[None, Some("insert"), Some("delete")], v))
}

fn phc_step_how_name(v: u32) -> &'static str {
    or_unknown(table_name(&[None, Some("settime"), Some("setoffset")], v))
}

fn ntp_state_name(v: u32) -> &'static str {
    or_unknown(table_name(&[Some("ok"), Some("ins"), Some("del"), Some("oop"), Some("wait")], v))
}

/// One NDJSON object, written the way tools/json.c writes it.
struct Obj {
    s: String,
    first: bool,
}

impl Obj {
    fn new() -> Obj {
        Obj { s: String::from("{"), first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
        put_string(&mut self.s, k.as_bytes());
        self.s.push(':');
    }

    fn u64(&mut self, k: &str, v: u64) {
        self.key(k);
        self.s.push_str(&v.to_string());
    }

    fn s64(&mut self, k: &str, v: i64) {
        self.key(k);
        self.s.push_str(&v.to_string());
    }

    fn str(&mut self, k: &str, v: &[u8]) {
        self.key(k);
        put_string(&mut self.s, v);
    }

    fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
    }

    fn null(&mut self, k: &str) {
        self.key(k);
        self.s.push_str("null");
    }

    /// An enum: its name as a string, or the number without one (print_enum()).
    fn enum_(&mut self, k: &str, v: u32, name: Option<&str>) {
        match name {
            Some(n) => self.str(k, n.as_bytes()),
            None => self.u64(k, v as u64),
        }
    }

    /// The set STA_* bits as an array of names, "bitN" for unnamed ones.
    fn sta_bits(&mut self, k: &str, v: u32) {
        self.key(k);
        self.s.push('[');
        let mut first = true;
        for bit in 0..32 {
            if v & (1 << bit) == 0 {
                continue;
            }
            if !first {
                self.s.push(',');
            }
            first = false;
            let label = match STA_NAMES.iter().find(|(b, _)| *b == 1 << bit) {
                Some((_, n)) => n.to_string(),
                None => format!("bit{}", bit),
            };
            put_string(&mut self.s, label.as_bytes());
        }
        self.s.push(']');
    }

    fn end(mut self) -> String {
        self.s.push_str("}\n");
        self.s
    }
}

/// A JSON string of the bytes up to the first NUL: everything outside
/// printable ASCII escaped, a byte >= 0x80 as the code point of the same
/// value (json_put_string()).
fn put_string(s: &mut String, v: &[u8]) {
    s.push('"');
    for &c in v.iter().take_while(|&&c| c != 0) {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            c if c < 0x20 || c >= 0x7f => s.push_str(&format!("\\u{:04x}", c)),
            c => s.push(c as char),
        }
    }
    s.push('"');
}

/// A name of the ABI (char[16] in two words).
fn name(words: &[u64]) -> Vec<u8> {
    name_bytes(words)
}

/// The JSON object `tsmon ring --json` prints for `r` (print_record()).
fn record_json(r: &Record) -> String {
    let mut o = Obj::new();
    let known = r.type_name();
    o.u64("seq", r.seq);
    o.str("type", known.unwrap_or("unknown").as_bytes());
    if known.is_none() {
        o.u64("type_id", r.r#type as u64);
        o.u64("mono_ns", r.mono_ns);
        o.u64("real_ns", r.real_ns);
        return o.end();
    }
    o.u64("mono_ns", r.mono_ns);
    o.u64("real_ns", r.real_ns);

    if let Some(p) = r.step() {
        o.s64("delta_ns", p.delta_ns as i64);
        o.str("reason", step_reason_name(p.reason).as_bytes());
    } else if let Some(p) = r.leap() {
        o.u64("leap_real_ns", p.leap_real_ns);
        o.str("direction", leap_direction_name(p.direction).as_bytes());
    } else if let Some(p) = r.leap_applied() {
        o.str("direction", leap_direction_name(p.direction).as_bytes());
        o.s64("tai_before", p.tai_before as i32 as i64);
        o.s64("tai_after", p.tai_after as i32 as i64);
    } else if let Some(p) = r.tai() {
        o.s64("tai_before", p.tai_before as i32 as i64);
        o.s64("tai_after", p.tai_after as i32 as i64);
    } else if let Some(p) = r.cs() {
        o.str("from", &name(&p.from));
        o.str("to", &name(&p.to));
    } else if let Some(p) = r.resume() {
        o.u64("sleep_ns", p.sleep_ns);
    } else if let Some(p) = r.lost() {
        o.u64("count", p.count);
    } else if let Some(p) = r.ntp() {
        o.u64("status", p.status as u64);
        o.sta_bits("status_flags", p.status);
        o.u64("maxerror_ns", p.maxerror_ns);
        o.u64("esterror_ns", p.esterror_ns);
    } else if let Some(p) = r.ntp_mode() {
        o.u64("status_before", p.status_before as u64);
        o.u64("status_after", p.status_after as u64);
        o.sta_bits("flags_before", p.status_before);
        o.sta_bits("flags_after", p.status_after);
    } else if let Some(p) = r.ntp_state() {
        o.str("state_before", ntp_state_name(p.state_before).as_bytes());
        o.str("state_after", ntp_state_name(p.state_after).as_bytes());
    } else if let Some(p) = r.phc_step() {
        o.u64("index", p.index as u64);
        o.str("how", phc_step_how_name(p.how).as_bytes());
        // Each means something for one way of stepping only; the key stays.
        if p.how == PHC_SETOFFSET {
            o.s64("delta_ns", p.delta_ns as i64);
        } else {
            o.null("delta_ns");
        }
        if p.how == PHC_SETTIME {
            o.u64("time_ns", p.time_ns);
        } else {
            o.null("time_ns");
        }
    } else if let Some(p) = r.phc_freq() {
        o.u64("index", p.index as u64);
        o.s64("freq_ppb", p.freq_ppb as i64);
        o.s64("scaled_ppm", p.scaled_ppm as i64);
        o.u64("suppressed", p.suppressed);
    } else if let Some(p) = r.phc_phase() {
        o.u64("index", p.index as u64);
        o.s64("offset_ns", p.offset_ns as i64);
    } else if let Some(p) = r.phc_extts() {
        o.u64("index", p.index as u64);
        if r.r#type == EVENT_PHC_EXTTS {
            let offset = p.flags & EXTTS_OFFSET != 0;
            o.u64("channel", p.channel as u64);
            if offset {
                o.s64("timestamp_ns", p.timestamp_ns as i64);
            } else {
                o.u64("timestamp_ns", p.timestamp_ns);
            }
            o.bool("offset", offset);
        }
    } else if let Some(p) = r.phc() {
        o.u64("index", p.index as u64);
        o.str("name", &name(&p.name));
        o.bool("at_load", p.flags & PHC_AT_LOAD != 0);
    } else if let Some(p) = r.vm() {
        o.u64("marker_before", p.marker_before);
        o.u64("marker_after", p.marker_after);
        let s = p.state;
        o.enum_("clock_status", vm_clock_status(s), table_name(VM_CLOCK_STATUSES, vm_clock_status(s)));
        o.enum_("counter", vm_counter_id(s), vm_counter_name(vm_counter_id(s)));
        o.enum_("time_type", vm_time_type(s), table_name(VM_TIME_TYPES, vm_time_type(s)));
        o.enum_("leap_indicator", vm_leap_indicator(s), table_name(VM_LEAP_INDICATORS, vm_leap_indicator(s)));
        o.u64("flags", p.flags as u64);
        o.bool("disruption_soon", p.flags as u64 & VMCLOCK_DISRUPTION_SOON != 0);
        o.bool("disruption_imminent", p.flags as u64 & VMCLOCK_DISRUPTION_IMMINENT != 0);
    }
    o.end()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 2 {
        eprintln!("usage: ring [PATH]");
        return ExitCode::from(2);
    }
    let path = args.get(1).map(Path::new);
    let t = match Tsmon::open(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ring: cannot open {}: {}", path.unwrap_or(Path::new(DEVICE_PATH)).display(), e);
            return ExitCode::from(1);
        }
    };
    let mut c = match t.cursor_init(Whence::Oldest, 0) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ring: cannot position the cursor: {}", e);
            return ExitCode::from(1);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = 0;
    loop {
        match t.next(&mut c) {
            Ok(r) => {
                if out.write_all(record_json(&r).as_bytes()).is_err() {
                    status = 1;
                    break;
                }
            }
            Err(e) if e.errno() == -errno::EAGAIN => break,
            Err(e) => {
                eprintln!("ring: cannot read the ring: {}", e);
                status = 1;
                break;
            }
        }
    }
    if out.flush().is_err() {
        status = 1;
    }
    ExitCode::from(status)
}
