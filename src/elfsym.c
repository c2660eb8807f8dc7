/* .symtab lookup for show_growth's site names; every offset read from the file is
 * bounds-checked, so a truncated or hostile file yields "not found", never a fault. */
#include "elfsym.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct image {
    const unsigned char *p;
    size_t len;
};

static bool in_file(const struct image *im, uint64_t off, uint64_t n)
{
    return off <= im->len && n <= im->len - off;
}

/* The symbol table section and its string table, or false. */
static bool find_symtab(const struct image *im, const Elf64_Shdr **sym, const Elf64_Shdr **str)
{
    const Elf64_Ehdr *eh = (const void *)im->p;
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || !in_file(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return false;
    const Elf64_Shdr *sh = (const void *)(im->p + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_entsize != sizeof(Elf64_Sym) || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *s = &sh[sh[i].sh_link];
        if (!in_file(im, sh[i].sh_offset, sh[i].sh_size) || !in_file(im, s->sh_offset, s->sh_size))
            return false;
        *sym = &sh[i];
        *str = s;
        return true;
    }
    return false;
}

static bool lookup(const struct image *im, uint64_t vaddr, char *name, size_t cap, uint64_t *value)
{
    const Elf64_Ehdr *eh = (const void *)im->p;
    const Elf64_Shdr *symh, *strh;
    if (im->len < sizeof *eh || eh->e_ident[EI_MAG0] != ELFMAG0 || eh->e_ident[EI_MAG1] != ELFMAG1 ||
        eh->e_ident[EI_MAG2] != ELFMAG2 || eh->e_ident[EI_MAG3] != ELFMAG3 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        !find_symtab(im, &symh, &strh))
        return false;
    const Elf64_Sym *sym = (const void *)(im->p + symh->sh_offset);
    const char *str = (const char *)im->p + strh->sh_offset;
    size_t n = symh->sh_size / sizeof *sym;
    for (size_t i = 0; i < n; i++) {
        unsigned type = ELF64_ST_TYPE(sym[i].st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[i].st_shndx == SHN_UNDEF || !sym[i].st_size ||
            vaddr < sym[i].st_value || vaddr - sym[i].st_value >= sym[i].st_size || sym[i].st_name >= strh->sh_size)
            continue;
        size_t k = 0;
        for (const char *s = str + sym[i].st_name; k + 1 < cap && s < str + strh->sh_size && *s; s++)
            name[k++] = *s;
        name[k] = '\0';
        *value = sym[i].st_value;
        return k > 0;
    }
    return false;
}

bool lg_elfsym_find(const char *path, uintptr_t bias, uintptr_t pc, char *name, size_t cap, uintptr_t *start)
{
    if (!path || !path[0] || cap == 0)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    long p = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(Elf64_Ehdr))
        p = syscall(SYS_mmap, 0, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p < 0 && p > -4096)
        return false;
    struct image im = {(const unsigned char *)p, (size_t)st.st_size};
    /* An executable (ET_EXEC) is linked at its run-time addresses; everything else
     * moved by the load bias. */
    uintptr_t b = ((const Elf64_Ehdr *)im.p)->e_type == ET_EXEC ? 0 : bias;
    uint64_t value = 0;
    bool ok = pc >= b && lookup(&im, pc - b, name, cap, &value);
    syscall(SYS_munmap, p, (size_t)st.st_size);
    if (ok)
        *start = (uintptr_t)value + b;
    return ok;
}
