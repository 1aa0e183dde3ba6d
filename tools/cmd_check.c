// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmon check: one verdict about the clock for cron jobs, health endpoints
 * and monitoring agents, in the monitoring-plugin convention: one line
 * "TSMON STATE - summary | perfdata" and exit status 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN. Each check below looks at one aspect of the same
 * struct status `tsmon status` prints, and the verdict is the worst of
 * them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fmt.h"
#include "parse.h"
#include "status.h"

/* The monitoring-plugin states, which are also the exit statuses. */
enum state {
	STATE_OK	= 0,
	STATE_WARNING	= 1,
	STATE_CRITICAL	= 2,
	STATE_UNKNOWN	= 3,
};

static const char *const state_names[] = {
	[STATE_OK]		= "OK",
	[STATE_WARNING]		= "WARNING",
	[STATE_CRITICAL]	= "CRITICAL",
	[STATE_UNKNOWN]		= "UNKNOWN",
};

/* The hooks --require-hooks wants by default: those the checks rely on. */
#define HOOKS_DEFAULT	(TSMON_HOOK_TIMEKEEPER | TSMON_HOOK_ADJTIMEX | \
			 TSMON_HOOK_SETTIME)

#define NO_LIMIT	UINT64_MAX

struct check_opts {
	bool json;
	uint64_t max_bound, warn_bound;		/* ns, NO_LIMIT: unset */
	uint64_t max_step_age, warn_step_age;	/* ns, 0: unset */
	bool require_sync;
	uint32_t require_hooks;			/* TSMON_HOOK_* bits */
	struct status model;			/* drift and cooldown */
};

#define MSG_LEN		160

struct result {
	enum state state;
	char msg[MSG_LEN];	/* "" when it has nothing to say in text */
};

/*
 * CRITICAL > WARNING > UNKNOWN > OK: a check that could not be evaluated
 * never hides behind the others' OK, and never outranks a real problem.
 */
static enum state worse(enum state a, enum state b)
{
	static const int rank[] = {
		[STATE_OK] = 0, [STATE_UNKNOWN] = 1,
		[STATE_WARNING] = 2, [STATE_CRITICAL] = 3,
	};

	return rank[b] > rank[a] ? b : a;
}

/* A verdict that could not be written is UNKNOWN, never a WARNING (1). */
static int check_finish(enum state state)
{
	return cli_finish_output(EXIT_OK) == EXIT_OK ? (int)state :
	       STATE_UNKNOWN;
}

static void check_usage(FILE *f, bool full)
{
	fputs("Usage: tsmon check [--max-bound DUR] [--warn-bound DUR] "
	      "[--max-step-age DUR]\n"
	      "                   [--warn-step-age DUR] [--require-sync] "
	      "[--require-hooks[=H,...]]\n"
	      "                   [--json] [--drift PPB|kernel] "
	      "[--cooldown SECONDS]\n", f);
	if (!full) {
		fputs("Try 'tsmon check --help' for more information.\n", f);
		return;
	}
	fputs("\nCheck the clock against thresholds and print one verdict "
	      "line in the\nmonitoring-plugin format: 'TSMON STATE - summary | "
	      "perfdata'.\n"
	      "\nOptions:\n"
	      "      --max-bound DUR     CRITICAL if the error bound exceeds "
	      "DUR, or if\n"
	      "                          there is no bound\n"
	      "      --warn-bound DUR    WARNING if the error bound exceeds "
	      "DUR\n"
	      "      --max-step-age DUR  CRITICAL if CLOCK_REALTIME was "
	      "stepped less than\n"
	      "                          DUR ago\n"
	      "      --warn-step-age DUR WARNING if it was stepped less than "
	      "DUR ago\n"
	      "      --require-sync      CRITICAL unless the clock is "
	      "SYNCHRONIZED\n"
	      "                          (WARNING while DISRUPTED)\n"
	      "      --require-hooks[=H,...]\n"
	      "                          CRITICAL if a hook is not attached "
	      "(default:\n"
	      "                          timekeeper,adjtimex,settime; 'all' "
	      "for all)\n"
	      "  -j, --json              print one JSON object instead\n"
	      "      --drift PPB|kernel  as for 'tsmon status'\n"
	      "      --cooldown SECONDS  as for 'tsmon status'\n"
	      "  -h, --help              print this help and exit\n"
	      "\nDUR is a number and a unit: 500us, 2ms, 1.5s, 10m, 1h.\n"
	      "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no "
	      "device, ABI\nmismatch, bad option).\n", f);
}

/* "timekeeper,adjtimex" or "all" to TSMON_HOOK_* bits. */
static int parse_hooks(const char *list, uint32_t *mask)
{
	const char *p = list, *comma;
	size_t len, i;

	*mask = 0;
	if (!strcmp(list, "all")) {
		for (i = 0; i < hook_bits.n; i++)
			*mask |= hook_bits.v[i].bit;
		return 0;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		for (i = 0; i < hook_bits.n; i++)
			if (strlen(hook_bits.v[i].name) == len &&
			    !strncmp(hook_bits.v[i].name, p, len))
				break;
		if (i == hook_bits.n) {
			fprintf(stderr, "tsmon check: unknown hook '%.*s'; "
				"valid: all", (int)len, p);
			for (i = 0; i < hook_bits.n; i++)
				fprintf(stderr, " %s", hook_bits.v[i].name);
			fputc('\n', stderr);
			return -EINVAL;
		}
		*mask |= hook_bits.v[i].bit;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/*
 * Returns true when the command is over before it began (--help or a usage
 * error), with its exit status in *status. A usage error is UNKNOWN, as a
 * monitoring agent expects: 2 would read as CRITICAL.
 */
static bool parse_check_opts(int argc, char **argv, struct check_opts *co,
			     int *status)
{
	enum {
		OPT_MAX_BOUND = 256, OPT_WARN_BOUND, OPT_MAX_STEP_AGE,
		OPT_WARN_STEP_AGE, OPT_REQUIRE_SYNC, OPT_REQUIRE_HOOKS,
		OPT_DRIFT, OPT_COOLDOWN,
	};
	static const struct option opts[] = {
		{ "max-bound",	  required_argument, NULL, OPT_MAX_BOUND },
		{ "warn-bound",	  required_argument, NULL, OPT_WARN_BOUND },
		{ "max-step-age", required_argument, NULL, OPT_MAX_STEP_AGE },
		{ "warn-step-age", required_argument, NULL, OPT_WARN_STEP_AGE },
		{ "require-sync", no_argument,	     NULL, OPT_REQUIRE_SYNC },
		{ "require-hooks", optional_argument, NULL, OPT_REQUIRE_HOOKS },
		{ "json",	  no_argument,	     NULL, 'j' },
		{ "drift",	  required_argument, NULL, OPT_DRIFT },
		{ "cooldown",	  required_argument, NULL, OPT_COOLDOWN },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_MAX_BOUND:
			if (parse_duration_opt("check", "--max-bound", optarg,
					       &co->max_bound))
				goto usage;
			break;
		case OPT_WARN_BOUND:
			if (parse_duration_opt("check", "--warn-bound", optarg,
					       &co->warn_bound))
				goto usage;
			break;
		case OPT_MAX_STEP_AGE:
			if (parse_duration_opt("check", "--max-step-age", optarg,
					       &co->max_step_age))
				goto usage;
			break;
		case OPT_WARN_STEP_AGE:
			if (parse_duration_opt("check", "--warn-step-age", optarg,
					       &co->warn_step_age))
				goto usage;
			break;
		case OPT_REQUIRE_SYNC:
			co->require_sync = true;
			break;
		case OPT_REQUIRE_HOOKS:
			if (!optarg)
				co->require_hooks = HOOKS_DEFAULT;
			else if (parse_hooks(optarg, &co->require_hooks))
				goto usage;
			break;
		case 'j':
			co->json = true;
			break;
		case OPT_DRIFT:
			if (parse_drift_opt("check", optarg,
					    &co->model.drift_ppb))
				goto usage;
			break;
		case OPT_COOLDOWN:
			if (parse_duration_opt("check", "--cooldown", optarg,
					       &co->model.cooldown_ns))
				goto usage;
			break;
		case 'h':
			check_usage(stdout, true);
			*status = cli_finish_output(EXIT_OK);
			return true;
		default:
			goto usage;
		}
	}
	if (cli_extra_operand("check", argc, argv))
		goto usage;
	/* a warning threshold must be reached before the critical one */
	if (co->warn_bound != NO_LIMIT && co->max_bound != NO_LIMIT &&
	    co->warn_bound > co->max_bound) {
		fputs("tsmon check: --warn-bound must not exceed "
		      "--max-bound\n", stderr);
		goto usage;
	}
	if (co->warn_step_age && co->max_step_age &&
	    co->warn_step_age < co->max_step_age) {
		fputs("tsmon check: --warn-step-age must not be below "
		      "--max-step-age\n", stderr);
		goto usage;
	}
	return false;

usage:
	check_usage(stderr, false);
	printf("TSMON UNKNOWN - invalid arguments, see 'tsmon check --help'\n");
	*status = check_finish(STATE_UNKNOWN);
	return true;
}

/* "1.5 ms" */
static const char *amount(char *buf, uint64_t ns)
{
	return fmt_amount(buf, FMT_LEN, ns);
}

/* A threshold as the options write it: "1500us", "1h". */
static const char *dur(char *buf, uint64_t ns)
{
	return fmt_dur(buf, FMT_LEN, ns);
}

static void check_bound(const struct check_opts *co, const struct status *s,
			struct result *r)
{
	const struct tsmon_time *t = &s->time;
	char a[FMT_LEN], b[FMT_LEN];

	if (t->flags & TSMON_TIME_UNBOUNDED) {
		snprintf(r->msg, MSG_LEN, "no bound");
		if (co->max_bound != NO_LIMIT)
			r->state = STATE_CRITICAL;
		else if (co->warn_bound != NO_LIMIT)
			r->state = STATE_WARNING;
		return;
	}
	if (co->max_bound != NO_LIMIT && t->bound_ns > co->max_bound) {
		r->state = STATE_CRITICAL;
		snprintf(r->msg, MSG_LEN, "bound %s > %s",
			 amount(a, t->bound_ns), dur(b, co->max_bound));
	} else if (co->warn_bound != NO_LIMIT && t->bound_ns > co->warn_bound) {
		r->state = STATE_WARNING;
		snprintf(r->msg, MSG_LEN, "bound %s > %s",
			 amount(a, t->bound_ns), dur(b, co->warn_bound));
	} else {
		snprintf(r->msg, MSG_LEN, "bound %s", amount(a, t->bound_ns));
	}
}

/*
 * SYNCHRONIZED is OK, DISRUPTED (a step or leap within the cooldown) a
 * WARNING that clears by itself, FREE_RUNNING CRITICAL. UNKNOWN is
 * CRITICAL when no daemon has disciplined the clock since the module was
 * loaded, but UNKNOWN when the module cannot see the NTP state at all.
 */
static void check_sync(const struct check_opts *co, const struct status *s,
		       struct result *r)
{
	const struct tsmon_time *t = &s->time;
	const char *name = clock_status_name(t->status);
	size_t n, i;
	char *p;

	n = snprintf(r->msg, MSG_LEN, "%s", name ? name : "unknown");
	/* "free_running" reads better in a sentence as "free running" */
	for (p = r->msg; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (t->flags) {
		const char *sep = " (";

		for (i = 0; i < time_flag_bits.n && n < MSG_LEN; i++) {
			if (!(t->flags & time_flag_bits.v[i].bit))
				continue;
			n += snprintf(r->msg + n, MSG_LEN - n, "%s%s", sep,
				      time_flag_bits.v[i].text ?
				      time_flag_bits.v[i].text :
				      time_flag_bits.v[i].name);
			sep = ", ";
		}
		if (n < MSG_LEN)
			snprintf(r->msg + n, MSG_LEN - n, ")");
	}
	if (!co->require_sync)
		return;
	switch (t->status) {
	case TSMON_CLOCK_SYNCHRONIZED:
		break;
	case TSMON_CLOCK_DISRUPTED:
		r->state = STATE_WARNING;
		break;
	case TSMON_CLOCK_UNKNOWN:
		r->state = t->flags & TSMON_TIME_NO_HOOK ? STATE_UNKNOWN :
			   STATE_CRITICAL;
		break;
	default:
		r->state = STATE_CRITICAL;
	}
}

/*
 * The age of the last step of CLOCK_REALTIME (a clock_step record: leap
 * seconds are announced in advance and are not steps here), measured on
 * CLOCK_MONOTONIC so that the step itself cannot distort it.
 */
static bool step_age(const struct status *s, uint64_t *age)
{
	const struct tsmon_health *h = &s->h;

	/* a step at a later instant than now was not taken in this boot */
	if (!h->last_step_seq || h->last_step_mono_ns > s->now_mono)
		return false;
	*age = s->now_mono - h->last_step_mono_ns;
	return true;
}

#define STEP_TOO_RECENT	"last step %s ago (%s) < %s"

static void check_step(const struct check_opts *co, const struct status *s,
		       struct result *r)
{
	const struct tsmon_health *h = &s->h;
	char d[FMT_LEN], a[FMT_LEN], l[FMT_LEN];
	uint64_t age;

	if (!h->last_step_seq) {
		snprintf(r->msg, MSG_LEN, "no step since load");
		return;
	}
	fmt_delta(d, sizeof(d), (int64_t)h->last_step_delta_ns);
	if (!step_age(s, &age)) {
		snprintf(r->msg, MSG_LEN, "last step at an unknown time (%s)",
			 d);
		if (co->max_step_age || co->warn_step_age)
			r->state = STATE_UNKNOWN;
		return;
	}
	fmt_span(a, sizeof(a), age);
	if (co->max_step_age && age < co->max_step_age) {
		r->state = STATE_CRITICAL;
		snprintf(r->msg, MSG_LEN, STEP_TOO_RECENT, a, d,
			 dur(l, co->max_step_age));
	} else if (co->warn_step_age && age < co->warn_step_age) {
		r->state = STATE_WARNING;
		snprintf(r->msg, MSG_LEN, STEP_TOO_RECENT, a, d,
			 dur(l, co->warn_step_age));
	} else {
		snprintf(r->msg, MSG_LEN, "last step %s ago (%s)", a, d);
	}
}

/*
 * Hooks attached, but a probe may have missed calls: critical while the NTP
 * state is forgotten because of it, a warning afterwards (events may be
 * missing from the ring).
 */
static void probe_misses(const struct status *s, struct result *r)
{
	const struct tsmon_health *h = &s->h;

	if (!status_has_probe_misses(s) || !h->probes_missed) {
		snprintf(r->msg, MSG_LEN, "hooks attached");
		return;
	}
	if (h->probes_missed_ntp && h->ntp_state == TSMON_NTP_STATE_UNKNOWN &&
	    h->ntp_lost) {
		r->state = STATE_CRITICAL;
		snprintf(r->msg, MSG_LEN,
			 "NTP state unknown after %" PRIu64 " probe misses, "
			 "until the next adjtimex call",
			 (uint64_t)h->probes_missed_ntp);
		return;
	}
	r->state = STATE_WARNING;
	snprintf(r->msg, MSG_LEN,
		 "hooks attached, %" PRIu64 " probe misses: events may be missing",
		 (uint64_t)h->probes_missed);
}

static void check_hooks(const struct check_opts *co, const struct status *s,
			struct result *r)
{
	uint32_t missing = co->require_hooks & ~s->h.hooks;
	size_t i, n;

	if (!co->require_hooks) {
		r->msg[0] = '\0';
		return;
	}
	if (!missing) {
		probe_misses(s, r);
		return;
	}
	r->state = STATE_CRITICAL;
	n = snprintf(r->msg, MSG_LEN, "hooks missing:");
	for (i = 0; i < hook_bits.n && n < MSG_LEN; i++)
		if (missing & hook_bits.v[i].bit)
			n += snprintf(r->msg + n, MSG_LEN - n, " %s",
				      hook_bits.v[i].name);
}

/*
 * Perfdata: 'label'=value[UOM];warn;crit;min;max, with U for a value that
 * cannot be determined. The step age alerts when it is below a threshold,
 * which the range syntax writes as "N:" (outside N..infinity). Values are
 * seconds, exact, with the unit written once after the value.
 */
static void print_perfdata(FILE *f, const struct check_opts *co,
			   const struct status *s)
{
	const struct tsmon_time *t = &s->time;
	char v[FMT_LEN], w[FMT_LEN], c[FMT_LEN];
	uint64_t age;

	if (t->flags & TSMON_TIME_UNBOUNDED)
		fputs("bound=U", f);
	else
		fprintf(f, "bound=%ss", fmt_seconds(v, FMT_LEN, t->bound_ns));
	fprintf(f, ";%s;%s;0",
		co->warn_bound != NO_LIMIT ?
		fmt_seconds(w, FMT_LEN, co->warn_bound) : "",
		co->max_bound != NO_LIMIT ?
		fmt_seconds(c, FMT_LEN, co->max_bound) : "");

	if (step_age(s, &age))
		fprintf(f, " step_age=%ss", fmt_seconds(v, FMT_LEN, age));
	else
		fputs(" step_age=U", f);
	fprintf(f, ";%s%s;%s%s;0",
		co->warn_step_age ?
		fmt_seconds(w, FMT_LEN, co->warn_step_age) : "",
		co->warn_step_age ? ":" : "",
		co->max_step_age ? fmt_seconds(c, FMT_LEN, co->max_step_age) : "",
		co->max_step_age ? ":" : "");

	if (t->sync_age_ns != UINT64_MAX)
		fprintf(f, " sync_age=%ss;;;0",
			fmt_seconds(v, FMT_LEN, t->sync_age_ns));
	else
		fputs(" sync_age=U;;;0", f);
}

/* JSON: the values each check looked at, beside its verdict. */

static void bound_values(const struct out *o, const struct check_opts *co,
			 const struct status *s)
{
	const struct tsmon_time *t = &s->time;

	json_u64_or_null(o->j, "value_ns", !(t->flags & TSMON_TIME_UNBOUNDED),
			 t->bound_ns);
	json_u64_or_null(o->j, "warn_ns", co->warn_bound != NO_LIMIT,
			 co->warn_bound);
	json_u64_or_null(o->j, "crit_ns", co->max_bound != NO_LIMIT,
			 co->max_bound);
}

static void sync_values(const struct out *o, const struct check_opts *co,
			const struct status *s)
{
	const struct tsmon_time *t = &s->time;
	const char *name = clock_status_name(t->status);

	json_string(o->j, "clock", name ? name : "unknown");
	print_bits(o, "flags", t->flags, &time_flag_bits, NULL);
	json_u64_or_null(o->j, "sync_age_ns", t->sync_age_ns != UINT64_MAX,
			 t->sync_age_ns);
	json_bool(o->j, "required", co->require_sync);
}

static void step_values(const struct out *o, const struct check_opts *co,
			const struct status *s)
{
	uint64_t age = 0;
	bool known;

	known = step_age(s, &age);
	json_u64_or_null(o->j, "value_ns", known, age);
	json_u64_or_null(o->j, "warn_ns", co->warn_step_age,
			 co->warn_step_age);
	json_u64_or_null(o->j, "crit_ns", co->max_step_age, co->max_step_age);
	if (s->h.last_step_seq)
		json_s64(o->j, "delta_ns", (int64_t)s->h.last_step_delta_ns);
	else
		json_null(o->j, "delta_ns");
}

static void hooks_values(const struct out *o, const struct check_opts *co,
			 const struct status *s)
{
	print_bits(o, "required", co->require_hooks, &hook_bits, NULL);
	print_bits(o, "missing", co->require_hooks & ~s->h.hooks, &hook_bits,
		   NULL);
	json_u64_or_null(o->j, "probes_missed", status_has_probe_misses(s),
			 s->h.probes_missed);
}

/*
 * Each check carries its own name and JSON values, so that the table can
 * be reordered (the text summary and the JSON list follow its order).
 */
struct check {
	const char *name;	/* JSON */
	void (*run)(const struct check_opts *co, const struct status *s,
		    struct result *r);
	void (*values)(const struct out *o, const struct check_opts *co,
		       const struct status *s);
};

static const struct check checks[] = {
	{ "bound",	check_bound,	bound_values },
	{ "sync",	check_sync,	sync_values },
	{ "step",	check_step,	step_values },
	{ "hooks",	check_hooks,	hooks_values },
};

#define NUM_CHECKS	ARRAY_SIZE(checks)

/* The verdict line; s is NULL when nothing could be read (why: summary). */
static void report(const struct check_opts *co, const struct status *s,
		   const struct result *r, size_t n, enum state state,
		   const char *summary)
{
	struct json j;
	const struct out o = { .f = stdout, .j = &j };
	size_t i;

	if (!co->json) {
		printf("TSMON %s - %s", state_names[state], summary);
		if (s) {
			fputs(" | ", stdout);
			print_perfdata(stdout, co, s);
		}
		putchar('\n');
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "status", state_names[state]);
	json_u64(&j, "code", state);
	json_string(&j, "summary", summary);
	json_array_begin(&j, "checks");
	for (i = 0; i < n; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", checks[i].name);
		json_string(&j, "status", state_names[r[i].state]);
		json_u64(&j, "code", r[i].state);
		json_string(&j, "message", r[i].msg);
		checks[i].values(&o, co, s);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

int cmd_check(const struct cli *cli, int argc, char **argv)
{
	struct check_opts co = {
		.max_bound = NO_LIMIT,
		.warn_bound = NO_LIMIT,
		.model = STATUS_INIT,
	};
	struct result r[NUM_CHECKS];
	enum state state = STATE_OK;
	char summary[NUM_CHECKS * (MSG_LEN + 2)];
	struct status s;
	struct tsmon *t;
	size_t i, len = 0;
	int ret;

	if (parse_check_opts(argc, argv, &co, &ret))
		return ret;

	ret = tsmon_open(cli->device, &t);
	if (ret) {
		snprintf(summary, sizeof(summary), "cannot open %s: %s%s",
			 cli->device, strerror(-ret), cli_open_hint(cli, ret));
		report(&co, NULL, NULL, 0, STATE_UNKNOWN, summary);
		return check_finish(STATE_UNKNOWN);
	}
	s = co.model;
	ret = status_read(t, "check", &s);
	tsmon_close(t);
	if (ret) {
		snprintf(summary, sizeof(summary), "cannot read %s: %s",
			 cli->device, strerror(-ret));
		report(&co, NULL, NULL, 0, STATE_UNKNOWN, summary);
		return check_finish(STATE_UNKNOWN);
	}

	summary[0] = '\0';
	for (i = 0; i < NUM_CHECKS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		checks[i].run(&co, &s, &r[i]);
		state = worse(state, r[i].state);
		if (r[i].msg[0])
			len += snprintf(summary + len, sizeof(summary) - len,
					"%s%s", len ? ", " : "", r[i].msg);
	}
	report(&co, &s, r, NUM_CHECKS, state, summary);
	return check_finish(state);
}
