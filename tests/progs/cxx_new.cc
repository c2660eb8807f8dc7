/* EXPECT: definite=56/2 indirect=41/1 possible=0/0 reachable=72840/3 cyclic=0/0 */
/* C++ allocations (no iostream):
 *   - new Widget, lost                                   definitely lost (24 bytes)
 *   - new Widget[4], only g_array (past the 8-byte cookie) refers to it:
 *     Valgrind's newarray heuristic makes it reachable (8 + 4*24 = 104 bytes)
 *   - new Both (multiple inheritance), only g_second (the Second sub-object, 16 bytes
 *     into the block) refers to it: multipleinheritance heuristic, reachable (32 bytes)
 *   - new std::string of 40 characters, lost: the 32-byte string object is definitely
 *     lost, its 41-byte heap buffer indirectly lost
 *   - libstdc++'s emergency exception pool (72,704 bytes), still reachable. */
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

struct Widget {
    long a, b, c;
    Widget() : a(1), b(2), c(3) {}
    ~Widget() { a = 0; }
};

struct First { virtual ~First() {} long x = 1; };
struct Second { virtual ~Second() {} long y = 2; };
struct Both : First, Second { ~Both() override {} };

Widget *volatile g_array;
Second *volatile g_second;

static void __attribute__((noinline)) scrub()
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make()
{
    Widget *volatile w = new Widget;
    (void)w;
    g_array = new Widget[4];
    g_second = new Both;
    std::string *volatile s = new std::string(40, 'x');
    (void)s;
}

int main()
{
    make();
    scrub();
    write(1, "cxx_new done\n", 13);
    return 0;
}
