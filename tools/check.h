/* The data of `leakgraph check`: every traced process of one run, its leaks (symbolized
 * and copied out of the analysis, which is freed per process), and their verdicts. The
 * collector (checkcollect.c) fills it, cmd_check.c judges it, out_*.c render it. */
#ifndef LGT_CHECK_H
#define LGT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Leak kinds as bits of a mask, as report.h's LGT_SHOW: kind is an enum lgt_kind, or
 * LGT_CHK_CYCLIC for a cycle. */
#define LGT_CHK_CYCLIC 6 /* LGT_KIND_COUNT, checked in checkcollect.c */

struct lgt_chk_frame {
    char *function; /* NULL when unknown */
    char *file;     /* as DWARF names it (often absolute); NULL when unknown */
    unsigned line;  /* 0 when unknown */
    char *module;   /* base name; NULL outside every module */
    char *module_path; /* full path of the module; NULL when unknown */
    uint64_t pc, module_off;
};

enum lgt_chk_verdict {
    LGT_CHK_NOT_ERROR,  /* a kind not in --errors-for-leak-kinds */
    LGT_CHK_SUPPRESSED, /* matched a suppression */
    LGT_CHK_BASELINE,   /* in the baseline, within the tolerance */
    LGT_CHK_GREW,       /* in the baseline, but its site's bytes grew beyond the tolerance */
    LGT_CHK_NEW,        /* a failing leak (new, or no baseline given) */
};

struct lgt_chk_leak {
    unsigned kind; /* enum lgt_kind, or LGT_CHK_CYCLIC */
    uint64_t bytes, blocks;
    size_t record; /* loss record (1-based) in the process's report; cycles: cycle number */
    struct lgt_chk_frame *frames;
    size_t nframes;
    char *key; /* the baseline key (baseline.h) */
    enum lgt_chk_verdict verdict;
    long supp; /* index of the suppression that matched, -1 */
    uint64_t base_bytes; /* GREW/BASELINE: the site's bytes in the baseline */
};

struct lgt_chk_proc {
    unsigned pid;
    char *exe;     /* executable path, "" when unknown */
    char *cmdline; /* arguments joined by spaces */
    int has_report;
    char *crash;   /* "SIGSEGV (SEGV_MAPERR) at main (f.c:12)" for a crash snapshot, else NULL */
    int status;    /* the wait status when known (CMD itself, reaped orphans), else -1 */
    char *json;    /* the process's own JSON report (report_json.c), NULL without a report */
    struct lgt_chk_leak *leaks;
    size_t nleaks;
    size_t nrecords; /* loss records in the process's report (every kind) */
    struct { uint64_t bytes, blocks; } total[7]; /* per kind, LGT_CHK_CYCLIC included */
};

struct lgt_chk_run {
    char **argv;   /* CMD */
    int cmd_status; /* CMD's wait status */
    struct lgt_chk_proc *procs; /* sorted by pid */
    size_t nprocs;
    unsigned errors_mask; /* --errors-for-leak-kinds */
    unsigned show_mask;   /* --show-leak-kinds */
    int fail_on_missing;
    size_t nfailing;      /* leaks with verdict NEW or GREW */
    size_t nmissing;      /* processes without a report */
    struct lgt_supp_set *supps; /* suppress.h */
    struct lgt_baseline *baseline; /* baseline.h; NULL without --baseline */
};

/* A process check reaped itself: CMD, and the orphans it left (check is a subreaper). */
struct lgt_chk_reaped {
    unsigned pid;
    int status; /* wait status */
};

/* "definite", "indirect", "possible", "reachable", "cyclic". */
const char *lgt_chk_kind_word(unsigned kind);
/* "definitely lost", ..., "cyclic". */
const char *lgt_chk_kind_name(unsigned kind);
/* "Leak_DefinitelyLost", ... (Valgrind's XML error kinds; cyclic: Leak_DefinitelyLost). */
const char *lgt_chk_kind_vg(unsigned kind);
/* The frame where the leak was allocated in the program's code: the first frame with a
 * source file, else the first frame; NULL for an empty stack. */
const struct lgt_chk_frame *lgt_chk_alloc_frame(const struct lgt_chk_leak *l);
/* "function (file:line)" and the like, into out. */
void lgt_chk_frame_print(FILE *out, const struct lgt_chk_frame *f);
/* True when the leak makes the run fail. */
int lgt_chk_failing(const struct lgt_chk_leak *l);

/* Reads every snapshot (snap.PID...) and started file (started.PID) in dir into run->procs.
 * 0, or -1 with a message printed. */
int lgt_chk_collect(struct lgt_chk_run *run, const char *dir);
void lgt_chk_run_free(struct lgt_chk_run *run);

/* Opens an output file for --flag (outfile.c's rules); NULL with a message printed. */
FILE *lgt_chk_open(const char *flag, const char *path);
/* Closes it: 0, or 2 with a message printed when writing failed. */
int lgt_chk_close(FILE *f, const char *flag, const char *path);
/* Text with XML's five special characters escaped and control bytes dropped. */
void lgt_chk_xml(FILE *out, const char *s);

/* The outputs; each returns 0, or 2 with a message printed. */
int lgt_out_json(const struct lgt_chk_run *run, const char *path);
int lgt_out_junit(const struct lgt_chk_run *run, const char *path);
int lgt_out_sarif(const struct lgt_chk_run *run, const char *path);
int lgt_out_vgxml(const struct lgt_chk_run *run, const char *path);

#endif
