/* started_file: a small file per traced process saying it started (its executable and
 * command line), so that leakgraph check can name the processes that left no report. */
#ifndef LG_STARTFILE_H
#define LG_STARTFILE_H

/* Writes "EXE\nARG ARG ...\n" to path (%p: the pid). Failures are logged, never fatal. */
void lg_startfile_write(const char *path);

#endif
