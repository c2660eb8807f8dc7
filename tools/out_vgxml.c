/* `leakgraph check --xml FILE`: leak errors in Valgrind's XML protocol version 4 (as
 * `valgrind --tool=memcheck --xml=yes` writes them), for the consumers that read
 * Valgrind's output. A FILE with %p gets one document per process, as Valgrind's
 * --xml-file=%p; without it, one document holds the leaks of every process (the protocol
 * has one process per document: pid and argv are CMD's, each error names its process in
 * an <auxwhat>). Suppressed and baseline leaks are left out, and counted in <suppcounts>. */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "suppress.h"
#include "xalloc.h"

static void frame(FILE *f, const struct lgt_chk_frame *fr)
{
    fprintf(f, "    <frame>\n      <ip>0x%" PRIX64 "</ip>\n", fr->pc);
    if (fr->module_path || fr->module) {
        fputs("      <obj>", f);
        lgt_chk_xml(f, fr->module_path ? fr->module_path : fr->module);
        fputs("</obj>\n", f);
    }
    if (fr->function) {
        fputs("      <fn>", f);
        lgt_chk_xml(f, fr->function);
        fputs("</fn>\n", f);
    }
    if (fr->file && fr->line) {
        const char *slash = strrchr(fr->file, '/');
        if (slash && slash != fr->file) {
            fputs("      <dir>", f);
            char *dir = lgt_xstrndup(fr->file, (size_t)(slash - fr->file));
            lgt_chk_xml(f, dir);
            free(dir);
            fputs("</dir>\n", f);
        }
        fputs("      <file>", f);
        lgt_chk_xml(f, slash ? slash + 1 : fr->file);
        fprintf(f, "</file>\n      <line>%u</line>\n", fr->line);
    }
    fputs("    </frame>\n", f);
}

static int shown(const struct lgt_chk_run *run, const struct lgt_chk_leak *l)
{
    return l->kind != LGT_CHK_CYCLIC && l->verdict != LGT_CHK_SUPPRESSED &&
           l->verdict != LGT_CHK_BASELINE && (lgt_chk_failing(l) || (run->show_mask & (1u << l->kind)));
}

static void error(FILE *f, const struct lgt_chk_proc *p, const struct lgt_chk_leak *l, unsigned unique,
                  size_t nrecords)
{
    fprintf(f, "<error>\n  <unique>0x%x</unique>\n  <tid>1</tid>\n  <kind>%s</kind>\n  <xwhat>\n"
            "    <text>%" PRIu64 " bytes in %" PRIu64 " blocks are %s in loss record %zu of %zu</text>\n"
            "    <leakedbytes>%" PRIu64 "</leakedbytes>\n    <leakedblocks>%" PRIu64 "</leakedblocks>\n"
            "  </xwhat>\n  <stack>\n", unique, lgt_chk_kind_vg(l->kind), l->bytes, l->blocks,
            lgt_chk_kind_name(l->kind), l->record, nrecords, l->bytes, l->blocks);
    for (size_t i = 0; i < l->nframes; i++)
        frame(f, &l->frames[i]);
    fprintf(f, "  </stack>\n  <auxwhat>in process %u (", p->pid);
    lgt_chk_xml(f, p->cmdline[0] ? p->cmdline : p->exe);
    fputs(")</auxwhat>\n</error>\n\n", f);
}

static void head(FILE *f, const struct lgt_chk_proc *p, char **argv)
{
    fprintf(f, "<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n<protocolversion>4</protocolversion>\n"
            "<protocoltool>memcheck</protocoltool>\n\n<preamble>\n  <line>leakgraph %s: leak reports"
            " in Valgrind's XML protocol</line>\n</preamble>\n\n<pid>%u</pid>\n<ppid>%u</ppid>\n"
            "<tool>memcheck</tool>\n\n<args>\n  <vargv>\n    <exe>leakgraph</exe>\n"
            "    <arg>check</arg>\n  </vargv>\n  <argv>\n    <exe>", LG_VERSION, p ? p->pid : 0,
            (unsigned)getpid());
    if (argv) {
        lgt_chk_xml(f, argv[0]);
        fputs("</exe>\n", f);
        for (char **a = argv + 1; *a; a++) {
            fputs("    <arg>", f);
            lgt_chk_xml(f, *a);
            fputs("</arg>\n", f);
        }
    } else {
        lgt_chk_xml(f, p->exe);
        fputs("</exe>\n", f);
    }
    fputs("  </argv>\n</args>\n\n<status>\n  <state>RUNNING</state>\n  <time>00:00:00:00.000 </time>\n"
          "</status>\n\n", f);
}

static void tail(FILE *f, const struct lgt_chk_run *run, const struct lgt_chk_proc *only)
{
    fputs("<status>\n  <state>FINISHED</state>\n  <time>00:00:00:00.000 </time>\n</status>\n\n"
          "<errorcounts>\n</errorcounts>\n\n<suppcounts>\n", f);
    for (size_t i = 0; i < run->supps->n; i++) {
        uint64_t n = 0;
        for (size_t p = 0; p < run->nprocs; p++)
            for (size_t k = 0; k < run->procs[p].nleaks; k++)
                n += (!only || only == &run->procs[p]) && run->procs[p].leaks[k].supp == (long)i;
        if (n)
            fprintf(f, "  <pair>\n    <count>%" PRIu64 "</count>\n    <name>%s:%u</name>\n  </pair>\n", n,
                    run->supps->v[i].file, run->supps->v[i].line);
    }
    fputs("</suppcounts>\n\n</valgrindoutput>\n\n", f);
}

static unsigned errors_of(FILE *f, const struct lgt_chk_run *run, const struct lgt_chk_proc *p,
                          unsigned unique)
{
    for (size_t i = 0; i < p->nleaks; i++)
        if (shown(run, &p->leaks[i]))
            error(f, p, &p->leaks[i], unique++, p->nrecords);
    return unique;
}

static int one_per_process(const struct lgt_chk_run *run, const char *pattern)
{
    int rc = 0;
    for (size_t p = 0; p < run->nprocs && !rc; p++) {
        if (!run->procs[p].has_report)
            continue;
        char *path = lgt_outfile_expand(pattern, run->procs[p].pid);
        FILE *f = lgt_chk_open("xml", path);
        if (!f) {
            free(path);
            return 2;
        }
        head(f, &run->procs[p], NULL);
        errors_of(f, run, &run->procs[p], 0);
        tail(f, run, &run->procs[p]);
        rc = lgt_chk_close(f, "xml", path);
        free(path);
    }
    return rc;
}

int lgt_out_vgxml(const struct lgt_chk_run *run, const char *path)
{
    if (strstr(path, "%p"))
        return one_per_process(run, path);
    FILE *f = lgt_chk_open("xml", path);
    if (!f)
        return 2;
    head(f, run->nprocs ? &run->procs[0] : NULL, run->argv);
    unsigned unique = 0;
    for (size_t p = 0; p < run->nprocs; p++)
        unique = errors_of(f, run, &run->procs[p], unique);
    tail(f, run, NULL);
    return lgt_chk_close(f, "xml", path);
}
