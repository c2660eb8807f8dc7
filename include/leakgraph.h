/* leakgraph: the public API for programs that want to talk to the tracer.
 * Link nothing: every function is a weak reference here, so a program built with
 * this header runs unchanged without libleakgraph.so (the calls then do nothing).
 * Use LEAKGRAPH_AVAILABLE() to ask whether the tracer is loaded. */
#ifndef LEAKGRAPH_H
#define LEAKGRAPH_H

#ifdef __cplusplus
extern "C" {
#endif

#define LEAKGRAPH_VERSION_MAJOR 0
#define LEAKGRAPH_VERSION_MINOR 1

/* Writes a snapshot of the heap graph to path (%p becomes the pid), stopping every
 * thread while it scans. The file is created with mode 0600; an existing file owned
 * by the caller is replaced, a symlink is refused. Analyse it with
 * `leakgraph analyze PATH`. Returns 0, or a negative errno value.
 * Thread safety: any thread; snapshots are serialised. Not async-signal-safe. */
int leakgraph_snapshot(const char *path) __attribute__((weak));

/* The tracer's version string, e.g. "0.1.0". */
const char *leakgraph_version(void) __attribute__((weak));

/* True when libleakgraph.so is loaded into this process. */
#define LEAKGRAPH_AVAILABLE() (leakgraph_version != 0)

#ifdef __cplusplus
}
#endif

#endif
