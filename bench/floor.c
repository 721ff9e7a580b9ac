// floor: the file-system work `ninjabind gen` cannot skip, and nothing else — a lower bound for its cold gen.
//
// SPEC §5 and §6.1 (since the compile edges decide HAVE_* gates) make gen list every folder of the project (the scan
// edge watches them), read every manifest and import-bearing file, and check that each listed C source exists — never
// a read; the folder listing already names each file and its type, so gen answers from it and stats only a source
// outside the folders it lists (the bench project has none). This program does only that, as cheaply as C can on this
// machine: it lists the folders the way gen's walk does (the same names skipped, another build's folder left out) on
// the main thread while the other threads already work, then joins them; each file to read is opened (relative to its folder's descriptor, as gen
// does; neighbours are taken 32 at a time), stat'ed (gen's scan cache keys on size, mtime and inode), read once into
// a 64 KiB buffer and closed. It parses nothing, plans nothing and writes nothing.
//
// usage: floor ROOT BUILD_DIR THREADS   (BUILD_DIR holds the build.ninja.d and scan.list a gen wrote;
//        paths in them are relative to ROOT, the ninja file's folder of an in-tree gen)
// prints: "<folders> folders, <files> files read, <bytes> bytes"
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char **files;
static int nfiles, cap_files;
static char **skips;
static int nskips, cap_skips;
static int next_file;
static long bytes_read;
static int folders;

static void push(char ***v, int *n, int *cap, char *s) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *v = realloc(*v, (size_t)*cap * sizeof **v);
        if (!*v) exit(2);
    }
    (*v)[(*n)++] = s;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) exit(2);
    s[n] = 0;
    fclose(f);
    return s;
}

// the names gen's walk never enters (src/lex/imports.rs), and the files that mark another build's folder
static int skipped_name(const char *name) {
    return name[0] == '.' || !strcmp(name, "node_modules") || !strcmp(name, "vex_modules") || !strcmp(name, "target");
}
static const char *markers[] = {"build.ninja", "CMakeCache.txt", "meson-private", "ninjabind-graph.json", ".ninja_log"};

static int is_skip(const char *path) {
    for (int i = 0; i < nskips; i++)
        if (!strcmp(skips[i], path)) return 1;
    return 0;
}

static void walk(const char *dir, int top) {
    DIR *d = opendir(dir);
    if (!d) return;
    char **subs = NULL;
    int nsubs = 0, cap_subs = 0, marked = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        for (size_t m = 0; m < sizeof markers / sizeof *markers; m++) marked |= !strcmp(e->d_name, markers[m]);
        int is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
            char p[4096];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            is_dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (is_dir && !skipped_name(e->d_name)) push(&subs, &nsubs, &cap_subs, strdup(e->d_name));
    }
    closedir(d);
    if (!top && marked) nsubs = 0;
    else folders++;
    for (int i = 0; i < nsubs; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        if (!is_skip(p)) walk(p, 0);
        free(subs[i]);
    }
    free(subs);
}

static void *read_files(void *unused) {
    (void)unused;
    static __thread char buf[65536];
    long sum = 0;
    char dir[4096] = "";
    int dfd = -1;
    for (;;) {
        // a batch of neighbours at a time, each opened relative to its folder's descriptor, as gen does
        int first = __atomic_fetch_add(&next_file, 32, __ATOMIC_RELAXED);
        if (first >= nfiles) break;
        for (int i = first; i < first + 32 && i < nfiles; i++) {
            char *slash = strrchr(files[i], '/');
            size_t len = (size_t)(slash - files[i]);
            if (dfd < 0 || strlen(dir) != len || strncmp(dir, files[i], len)) {
                if (dfd >= 0) close(dfd);
                memcpy(dir, files[i], len);
                dir[len] = 0;
                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0) continue;
            }
            int fd = openat(dfd, slash + 1, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            struct stat st;
            if (fstat(fd, &st) == 0) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n > 0) sum += n;
            }
            close(fd);
        }
    }
    if (dfd >= 0) close(dfd);
    __atomic_add_fetch(&bytes_read, sum, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor ROOT BUILD_DIR THREADS\n");
        return 2;
    }
    const char *root = argv[1];
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > 64) threads = 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/scan.list", argv[2]);
    char *list = slurp(path);
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "skip ", 5)) {
            char *p = malloc(strlen(root) + strlen(line) + 2);
            sprintf(p, "%s/%s", root, line + 5);
            push(&skips, &nskips, &cap_skips, p);
        }
    }
    // the manifests gen read: the regeneration depfile's inputs ("build.ninja: a \\\n  b ...")
    snprintf(path, sizeof path, "%s/build.ninja.d", argv[2]);
    char *dep = slurp(path);
    char *colon = strchr(dep, ':');
    for (char *w = strtok(colon ? colon + 1 : dep, " \\\n"); w; w = strtok(NULL, " \\\n")) {
        char *p = malloc(strlen(root) + strlen(w) + 2);
        sprintf(p, "%s/%s", root, w);
        push(&files, &nfiles, &cap_files, p);
    }
    pthread_t th[64];
    for (int t = 1; t < threads; t++) pthread_create(&th[t], NULL, read_files, NULL);
    walk(root, 1);
    read_files(NULL);
    for (int t = 1; t < threads; t++) pthread_join(th[t], NULL);
    printf("%d folders, %d files read, %ld bytes\n", folders, nfiles, bytes_read);
    return 0;
}
