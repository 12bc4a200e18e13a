/* File and memory implementations of ts_output / ts_input. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sync_file_range */
#endif
#include "ts_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ts_alloc.h"
#include "ts_buf.h"

ts_status ts_output_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    ts_status st = o->ops->write(o, p, n, err);
    if (st == TS_OK) o->written += n;
    return st;
}

ts_status ts_output_commit(ts_output *o, ts_error *err) { return o->ops->commit(o, err); }
void ts_output_abort(ts_output *o) { o->ops->abort(o); }

void ts_output_close(ts_output *o)
{
    if (o) o->ops->close(o);
}

/* ---- atomic file ---- */

typedef struct file_out {
    ts_output base;
    int fd;
    char *tmp;
    bool done;
    uint64_t kicked;  /* bytes already handed to writeback */
    bool direct;      /* O_DIRECT is on for the descriptor now */
    bool direct_bad;  /* the file system refused it: stay buffered */
} file_out;

/* The commit's fsync must wait for every byte to reach the disk. Handing
 * finished stretches to writeback while we go on writing lets the disk work
 * in parallel with us, so that fsync only waits for the tail, and keeps the
 * dirty page cache of a multi-GB output small. Only a hint: failures are
 * ignored, the fsync still decides. */
#define WRITEBACK_STEP ((uint64_t)8 << 20)

static void kick_writeback(file_out *f, uint64_t end)
{
#if defined(__linux__)
    if (end - f->kicked < WRITEBACK_STEP) return;
    (void)sync_file_range(f->fd, (off_t)f->kicked, (off_t)(end - f->kicked), SYNC_FILE_RANGE_WRITE);
    f->kicked = end;
#else
    (void)f;
    (void)end;
#endif
}

static ts_status write_all(int fd, const void *p, size_t n, const char *name, ts_error *err)
{
    const char *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return ts_err_errno(err, TS_ERR_IO, errno, "cannot write %s", name);
        }
        b += k;
        n -= (size_t)k;
    }
    return TS_OK;
}

/* Large block-aligned writes (the threaded text writer's) bypass the page
 * cache: copying a multi-GB output into the cache costs about as much CPU
 * as formatting it, and fsync would write it all out again anyway. Others,
 * and file systems without O_DIRECT, stay buffered. */
#define DIRECT_ALIGN 4096u
#define DIRECT_MIN ((size_t)256 << 10)

static bool set_direct(file_out *f, bool on)
{
#if defined(__linux__)
    if (f->direct == on) return true;
    int fl = fcntl(f->fd, F_GETFL);
    if (fl < 0 || fcntl(f->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) != 0) return false;
    f->direct = on;
    return true;
#else
    (void)f;
    return !on;
#endif
}

static ts_status file_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    file_out *f = (file_out *)o;
    uint64_t end = o->written + n; /* only we write the temp file, in order */
    bool aligned = n >= DIRECT_MIN && (((uintptr_t)p | n | o->written) % DIRECT_ALIGN) == 0;
    if (aligned && !f->direct_bad) {
        if (!set_direct(f, true)) {
            f->direct_bad = true;
        } else {
            ssize_t k;
            do k = write(f->fd, p, n);
            while (k < 0 && errno == EINTR);
            if (k == (ssize_t)n) return TS_OK;
            if (k < 0 && errno != EINVAL) return ts_err_errno(err, TS_ERR_IO, errno, "cannot write %s", f->tmp);
            if (k < 0) {
                f->direct_bad = true; /* EINVAL: this file system takes no direct writes */
            } else { /* short (a full disk): the rest buffered, whose error says why */
                p = (const char *)p + k;
                n -= (size_t)k;
            }
        }
    }
    if (f->direct && !set_direct(f, false))
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot switch %s back to buffered writes", f->tmp);
    ts_status st = write_all(f->fd, p, n, f->tmp, err);
    if (st == TS_OK) kick_writeback(f, end);
    return st;
}

static ts_status fsync_dir_of(const char *path, ts_error *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ts_err_errno(err, TS_ERR_IO, errno, "cannot open directory %s", dir);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0 && e != EINVAL) return ts_err_errno(err, TS_ERR_IO, e, "cannot fsync %s", dir);
    return TS_OK;
}

static ts_status file_commit(ts_output *o, ts_error *err)
{
    file_out *f = (file_out *)o;
    if (fsync(f->fd) != 0) return ts_err_errno(err, TS_ERR_IO, errno, "cannot fsync %s", f->tmp);
    if (close(f->fd) != 0) {
        f->fd = -1;
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot close %s", f->tmp);
    }
    f->fd = -1;
    if (rename(f->tmp, o->name) != 0)
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot rename %s to %s", f->tmp, o->name);
    f->done = true;
    return fsync_dir_of(o->name, err);
}

static void file_abort(ts_output *o)
{
    file_out *f = (file_out *)o;
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (!f->done) unlink(f->tmp);
    f->done = true;
}

static void file_close(ts_output *o)
{
    file_out *f = (file_out *)o;
    file_abort(o);
    ts_free(f->tmp);
    ts_free(o->name);
    ts_free(f);
}

static const ts_output_ops file_ops = {
    .write = file_write, .commit = file_commit, .abort = file_abort, .close = file_close};

ts_status ts_output_file_atomic(const char *path, ts_output **out, ts_error *err)
{
    *out = NULL;
    file_out *f = ts_calloc(1, sizeof *f);
    if (!f) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    f->base.ops = &file_ops;
    f->fd = -1;
    f->base.name = ts_strdup(path);
    size_t tl = strlen(path) + 32;
    f->tmp = ts_malloc(tl);
    if (!f->base.name || !f->tmp) {
        file_close(&f->base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    /* The ".tmp-" prefix marks a file that is never whole: readers and
     * verify skip it, resume deletes it. */
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    snprintf(f->tmp, tl, "%.*s.tmp-%s.XXXXXX", dl, path, slash ? slash + 1 : path);
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        int e = errno;
        f->done = true;
        file_close(&f->base);
        return ts_err_errno(err, TS_ERR_IO, e, "cannot create a temporary file for %s", path);
    }
    fchmod(f->fd, 0644);
    *out = &f->base;
    return TS_OK;
}

/* ---- descriptor ---- */

typedef struct fd_out {
    ts_output base;
    int fd;
} fd_out;

static ts_status fd_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    return write_all(((fd_out *)o)->fd, p, n, o->name, err);
}
static ts_status fd_commit(ts_output *o, ts_error *err)
{
    (void)o;
    (void)err;
    return TS_OK;
}
static void fd_abort(ts_output *o) { (void)o; }
static void fd_close(ts_output *o)
{
    ts_free(o->name);
    ts_free(o);
}
static const ts_output_ops fd_ops = {
    .write = fd_write, .commit = fd_commit, .abort = fd_abort, .close = fd_close};

ts_status ts_output_fd(int fd, const char *name, ts_output **out, ts_error *err)
{
    fd_out *f = ts_calloc(1, sizeof *f);
    char *n = ts_strdup(name);
    if (!f || !n) {
        ts_free(f);
        ts_free(n);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    f->base.ops = &fd_ops;
    f->base.name = n;
    f->fd = fd;
    *out = &f->base;
    return TS_OK;
}

/* ---- memory ---- */

typedef struct mem_out {
    ts_output base;
    ts_buf buf;
} mem_out;

static ts_status mem_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    ts_status st = ts_buf_append(&((mem_out *)o)->buf, p, n);
    if (st != TS_OK) return ts_err_set(err, st, "memory output: cannot grow to %zu more bytes", n);
    return TS_OK;
}
static void mem_abort(ts_output *o) { ts_buf_clear(&((mem_out *)o)->buf); }
static void mem_close(ts_output *o)
{
    ts_buf_free(&((mem_out *)o)->buf);
    ts_free(o->name);
    ts_free(o);
}
static const ts_output_ops mem_ops = {
    .write = mem_write, .commit = fd_commit, .abort = mem_abort, .close = mem_close};

ts_status ts_output_mem(ts_output **out, ts_error *err)
{
    mem_out *m = ts_calloc(1, sizeof *m);
    char *n = ts_strdup("<memory>");
    if (!m || !n) {
        ts_free(m);
        ts_free(n);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    m->base.ops = &mem_ops;
    m->base.name = n;
    ts_buf_init(&m->buf, SIZE_MAX / 2);
    *out = &m->base;
    return TS_OK;
}

const uint8_t *ts_output_mem_data(const ts_output *o, size_t *len)
{
    const mem_out *m = (const mem_out *)o;
    *len = m->buf.len;
    return m->buf.data;
}

/* ---- inputs ---- */

ts_status ts_input_read_at(ts_input *in, uint64_t off, void *p, size_t n, ts_error *err)
{
    if (off > in->size || n > in->size - off)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "%s: read of %zu bytes at offset %llu is past the end (%llu bytes)",
                          in->name, n, (unsigned long long)off, (unsigned long long)in->size);
    return in->ops->read_at(in, off, p, n, err);
}

void ts_input_close(ts_input *in)
{
    if (in) in->ops->close(in);
}

typedef struct file_in {
    ts_input base;
    int fd;
} file_in;

static ts_status file_read_at(ts_input *in, uint64_t off, void *p, size_t n, ts_error *err)
{
    file_in *f = (file_in *)in;
    char *b = p;
    while (n) {
        ssize_t k = pread(f->fd, b, n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR) continue;
            return ts_err_errno(err, TS_ERR_IO, errno, "cannot read %s", in->name);
        }
        if (k == 0)
            return ts_err_set(err, TS_ERR_CORRUPT, "%s: unexpected end of file at offset %llu",
                              in->name, (unsigned long long)off);
        b += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return TS_OK;
}

static void file_in_close(ts_input *in)
{
    file_in *f = (file_in *)in;
    if (f->fd >= 0) close(f->fd);
    ts_free(in->name);
    ts_free(f);
}

static const ts_input_ops file_in_ops = {.read_at = file_read_at, .close = file_in_close};

ts_status ts_input_file(const char *path, ts_input **out, ts_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ts_err_errno(err, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, errno,
                            "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ts_err_set(err, TS_ERR_IO, "%s is not a regular file", path);
    }
    file_in *f = ts_calloc(1, sizeof *f);
    char *n = ts_strdup(path);
    if (!f || !n) {
        close(fd);
        ts_free(f);
        ts_free(n);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    f->base.ops = &file_in_ops;
    f->base.size = (uint64_t)st.st_size;
    f->base.name = n;
    f->fd = fd;
    *out = &f->base;
    return TS_OK;
}

typedef struct mem_in {
    ts_input base;
    const uint8_t *p;
} mem_in;

static ts_status mem_read_at(ts_input *in, uint64_t off, void *p, size_t n, ts_error *err)
{
    (void)err;
    memcpy(p, ((mem_in *)in)->p + off, n);
    return TS_OK;
}

static void mem_in_close(ts_input *in)
{
    ts_free(in->name);
    ts_free(in);
}

static const ts_input_ops mem_in_ops = {.read_at = mem_read_at, .close = mem_in_close};

ts_status ts_input_mem(const void *p, size_t n, const char *name, ts_input **out, ts_error *err)
{
    mem_in *m = ts_calloc(1, sizeof *m);
    char *nm = ts_strdup(name ? name : "<memory>");
    if (!m || !nm) {
        ts_free(m);
        ts_free(nm);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    m->base.ops = &mem_in_ops;
    m->base.size = n;
    m->base.name = nm;
    m->p = p;
    *out = &m->base;
    return TS_OK;
}

ts_status ts_mkdirs(const char *path, ts_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return ts_err_set(err, TS_ERR_LIMIT, "path too long: %s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return ts_err_errno(err, TS_ERR_IO, errno, "cannot create directory %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot create directory %s", tmp);
    return TS_OK;
}
