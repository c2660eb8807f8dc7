/* Store hooks called the wrong way: before the tracer is ready (from .preinit_array, which
 * runs before any library's constructor), from several threads, on addresses outside any
 * block (null, small integers, the stack, a global, a freed block), with a length of 0.
 * None of it may crash or change a collection. Prints "ok". */
#include "leakgraph.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void __sanitizer_cov_store8(void *) __attribute__((weak));
void __asan_store8_noabort(void *) __attribute__((weak));
void __asan_storeN_noabort(void *, size_t) __attribute__((weak));

static long global_word;
void *volatile kept;

static void poke(void *a)
{
    if (__sanitizer_cov_store8)
        __sanitizer_cov_store8(a);
    if (__asan_store8_noabort)
        __asan_store8_noabort(a);
    if (__asan_storeN_noabort)
        __asan_storeN_noabort(a, 0);
    if (leakgraph_note_store)
        leakgraph_note_store(a, NULL);
}

static void early(void)
{
    long local = 0;
    poke(&local);
    poke(&global_word);
}
__attribute__((section(".preinit_array"), used)) static void (*const preinit)(void) = early;

static void *worker(void *arg)
{
    long local;
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        poke(&local);
        poke((void *)(uintptr_t)(i * 8));
    }
    return NULL;
}

int main(void)
{
    kept = malloc(64);
    void *gone = malloc(64);
    free(gone);
    if (leakgraph_collect)
        leakgraph_collect();
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    poke(NULL);
    poke((void *)8);
    poke(&global_word);
    poke(gone);
    poke((char *)kept + 8);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (leakgraph_collect)
        leakgraph_collect();
    puts("ok");
    return 0;
}
