/* Threads that allocate, reallocate and free without pause, for the journal's SIGKILL test
 * (tests/e2e/cases/journal.sh): killed at an arbitrary instant, the journal must still read
 * cleanly. Usage: journal_churn READY_FILE. Each of 4 threads keeps at most 256 blocks of
 * 16-2063 bytes; main keeps 1 block of 4096 bytes in a global. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define SLOTS 256

static void *keep;

__attribute__((noinline)) static void *leaf_a(size_t n) { return malloc(n); }
__attribute__((noinline)) static void *leaf_b(size_t n) { return calloc(1, n); }

static void *churn(void *arg)
{
    unsigned seed = (unsigned)(unsigned long)arg;
    void *slot[SLOTS] = {0};
    for (;;) {
        seed = seed * 1103515245u + 12345u;
        unsigned i = (seed >> 8) % SLOTS;
        size_t n = 16 + (seed >> 20) % 2048;
        switch ((seed >> 4) % 4) {
        case 0:
            free(slot[i]);
            slot[i] = leaf_a(n);
            break;
        case 1:
            free(slot[i]);
            slot[i] = leaf_b(n);
            break;
        case 2: {
            void *p = realloc(slot[i], n);
            if (p)
                slot[i] = p;
            break;
        }
        default:
            free(slot[i]);
            slot[i] = NULL;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    keep = malloc(4096);
    pthread_t t[4];
    for (unsigned long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, (void *)(i + 1));
    usleep(200000);
    if (argc > 1) {
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            close(fd);
    }
    for (;;)
        pause();
}
