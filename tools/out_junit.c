/* `leakgraph check --junit FILE`: JUnit XML as Jenkins, GitLab and GitHub's test reporters
 * read it. One testcase per traced process, one <failure> per failing leak (its stack in
 * the body); a process without a report is an <error> with --fail-on-missing-report, else
 * <skipped>, so it shows up either way. */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "checkjudge.h"

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static size_t failing_in(const struct lgt_chk_proc *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nleaks; i++)
        n += lgt_chk_failing(&p->leaks[i]);
    return n;
}

static void failure(FILE *f, const struct lgt_chk_leak *l)
{
    fprintf(f, "      <failure type=\"%s\" message=\"%s: %" PRIu64 " bytes in %" PRIu64 " blocks%s\">",
            lgt_chk_kind_word(l->kind), lgt_chk_kind_name(l->kind), l->bytes, l->blocks,
            l->verdict == LGT_CHK_GREW ? ", grew beyond the baseline" : "");
    for (size_t i = 0; i < l->nframes; i++) {
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (m) {
            fputs(i ? "    by " : "    at ", m);
            lgt_chk_frame_print(m, &l->frames[i]);
            fclose(m);
            fputc('\n', f);
            lgt_chk_xml(f, line);
        }
        free(line);
    }
    fputs("\n      </failure>\n", f);
}

static void testcase(FILE *f, const struct lgt_chk_run *run, const struct lgt_chk_proc *p)
{
    fputs("    <testcase classname=\"leakgraph.", f);
    lgt_chk_xml(f, base_name(p->exe[0] ? p->exe : "unknown"));
    fprintf(f, "\" name=\"pid %u: ", p->pid);
    lgt_chk_xml(f, p->cmdline[0] ? p->cmdline : p->exe);
    fputs("\" time=\"0\">\n", f);
    if (!p->has_report) {
        char *why = lgt_judge_missing_reason(p);
        fprintf(f, run->fail_on_missing ? "      <error type=\"no_report\" message=\"no report: "
                                        : "      <skipped message=\"no report: ");
        lgt_chk_xml(f, why);
        fputs("\"/>\n", f);
        free(why);
    }
    for (size_t i = 0; i < p->nleaks; i++)
        if (lgt_chk_failing(&p->leaks[i]))
            failure(f, &p->leaks[i]);
    fprintf(f, "      <system-out>definitely lost: %" PRIu64 " bytes; indirectly lost: %" PRIu64
            " bytes; possibly lost: %" PRIu64 " bytes; still reachable: %" PRIu64 " bytes</system-out>\n",
            p->total[3].bytes, p->total[4].bytes, p->total[2].bytes, p->total[1].bytes);
    if (p->crash) { /* its leaks were still checked, from the crash snapshot */
        fputs("      <system-err>crashed: ", f);
        lgt_chk_xml(f, p->crash);
        fputs("</system-err>\n", f);
    }
    fputs("    </testcase>\n", f);
}

int lgt_out_junit(const struct lgt_chk_run *run, const char *path)
{
    FILE *f = lgt_chk_open("junit", path);
    if (!f)
        return 2;
    size_t failures = 0, errors = 0, skipped = 0;
    for (size_t p = 0; p < run->nprocs; p++) {
        failures += failing_in(&run->procs[p]) > 0;
        errors += !run->procs[p].has_report && run->fail_on_missing;
        skipped += !run->procs[p].has_report && !run->fail_on_missing;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"leakgraph check\" tests=\"%zu\""
            " failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n  <testsuite name=\"leakgraph check: ",
            run->nprocs, failures, errors, skipped);
    for (char **a = run->argv; *a; a++) {
        if (a != run->argv)
            fputc(' ', f);
        lgt_chk_xml(f, *a);
    }
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"0\">\n",
            run->nprocs, failures, errors, skipped);
    for (size_t p = 0; p < run->nprocs; p++)
        testcase(f, run, &run->procs[p]);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return lgt_chk_close(f, "junit", path);
}
