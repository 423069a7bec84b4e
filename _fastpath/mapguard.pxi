# Mapped windows of capture files, and what happens when one loses its pages.
#
# Regular files are read through mmap windows (Capture._fill_map). If another process
# cuts the file shorter while a window is mapped, the kernel takes away the pages past
# the new end and the next load from them raises SIGBUS, which would kill the process.
# So the windows are registered here, and a SIGBUS handler that finds the faulting
# address inside a registered window maps a zero page over it, sets that window's `cut`
# flag and returns: the load completes (reading zeros) and the record reader, which
# checks the flag after loading each record's last byte, stops with "the file shrank"
# instead of handing on a record it could not read whole. A fault anywhere else is
# passed to the handler that was there before (Python's faulthandler, an embedding
# program's), and then ends the process as it would have without us.
#
# Truncation removes a suffix of the file, so a record whose last byte could be read
# was whole when it was checked. Only a cut that lands while a packet is already being
# decoded can show that one packet zeros past the cut; the next record then stops.

from libc.stdint cimport uintptr_t

cdef extern from *:
    """
    #include <signal.h>
    #include <string.h>
    #include <unistd.h>
    #include <stdint.h>
    #include <sys/mman.h>

    #define PL_GUARD_SLOTS 256
    typedef struct { volatile uintptr_t lo, hi; volatile int cut; } pl_window;
    static pl_window pl_windows[PL_GUARD_SLOTS];
    static const int pl_never_cut = 0;
    static struct sigaction pl_prev_bus;
    static size_t pl_pagesize = 4096;

    static void pl_bus(int sig, siginfo_t* si, void* uc) {
        uintptr_t a = (uintptr_t)si->si_addr;
        struct sigaction dfl;
        int i;
        if (si->si_code > 0) {                       /* a fault, not a kill() or raise() */
            for (i = 0; i < PL_GUARD_SLOTS; i++) {
                uintptr_t lo = pl_windows[i].lo, hi = pl_windows[i].hi;
                if (a >= lo && a < hi) {
                    void* page = (void*)(a & ~(uintptr_t)(pl_pagesize - 1));
                    if (mmap(page, pl_pagesize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                             -1, 0) != MAP_FAILED) {
                        pl_windows[i].cut = 1;
                        return;
                    }
                    break;
                }
            }
        }
        /* Not ours: the handler that was there before sees it (a report, say), then
           the process ends as it would have: the default action, now for a raised
           signal, or when the load faults again for a fault. Never a loop, even when
           that handler hands the signal back to us. */
        if (pl_prev_bus.sa_flags & SA_SIGINFO) {
            if (pl_prev_bus.sa_sigaction && pl_prev_bus.sa_sigaction != pl_bus)
                pl_prev_bus.sa_sigaction(sig, si, uc);
        } else if (pl_prev_bus.sa_handler != SIG_DFL && pl_prev_bus.sa_handler != SIG_IGN) {
            pl_prev_bus.sa_handler(sig);
        }
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        if (si->si_code <= 0)
            raise(sig);
    }

    /* Put our handler first, keeping the one it replaces to pass foreign signals to.
       Called before each window is mapped, so a handler installed since (Python's
       faulthandler, an embedding program's) does not take our windows' faults. 0 on
       success. */
    static int pl_guard_install(void) {
        struct sigaction cur, sa;
        long ps;
        if (sigaction(SIGBUS, NULL, &cur) != 0)
            return -1;
        if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == pl_bus)
            return 0;
        ps = sysconf(_SC_PAGESIZE);
        if (ps > 0)
            pl_pagesize = (size_t)ps;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = pl_bus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        pl_prev_bus = cur;
        return sigaction(SIGBUS, &sa, NULL);
    }

    /* Register [lo, hi); returns the slot, or -1 when all are taken. The caller holds
       the GIL, so registrations never race each other; lo is written before hi and hi
       cleared before lo, so the handler never sees a half-set slot cover other memory. */
    static int pl_guard_add(uintptr_t lo, uintptr_t hi) {
        int i;
        for (i = 0; i < PL_GUARD_SLOTS; i++) {
            if (pl_windows[i].hi == 0) {
                pl_windows[i].cut = 0;
                pl_windows[i].lo = lo;
                __atomic_signal_fence(__ATOMIC_SEQ_CST);
                pl_windows[i].hi = hi;
                return i;
            }
        }
        return -1;
    }

    static void pl_guard_del(int i) {
        if (i < 0 || i >= PL_GUARD_SLOTS)
            return;
        pl_windows[i].hi = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        pl_windows[i].lo = 0;
    }

    static const int* pl_guard_flag(int i) {
        return (i < 0 || i >= PL_GUARD_SLOTS) ? &pl_never_cut : (const int*)&pl_windows[i].cut;
    }

    /* Load the last byte of a record, then the window's flag: nonzero when the record
       reaches into pages the file no longer has. */
    static inline int pl_cut_at(const int* cut, const uint8_t* last) {
        (void)*(volatile const uint8_t*)last;
        return __builtin_expect(*(volatile const int*)cut, 0);
    }

    static inline int pl_is_cut(const int* cut) {
        return *(volatile const int*)cut;
    }
    """
    int pl_guard_install() noexcept nogil
    int pl_guard_add(uintptr_t lo, uintptr_t hi) noexcept nogil
    void pl_guard_del(int i) noexcept nogil
    const int* pl_guard_flag(int i) noexcept nogil
    int pl_cut_at(const int* cut, const uint8_t* last) noexcept nogil
    int pl_is_cut(const int* cut) noexcept nogil
