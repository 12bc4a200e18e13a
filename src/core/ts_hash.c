/* Hash wrappers: OpenSSL's EVP for SHA-256, zlib for CRC-32. */
#include "ts_hash.h"

#include <openssl/evp.h>
#include <zlib.h>

struct ts_sha256 {
    EVP_MD_CTX *ctx;
};

ts_sha256 *ts_sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return NULL;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    ts_sha256 *h = OPENSSL_malloc(sizeof *h);
    if (!h) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    h->ctx = ctx;
    return h;
}

void ts_sha256_update(ts_sha256 *h, const void *p, size_t n) { EVP_DigestUpdate(h->ctx, p, n); }

void ts_sha256_final(ts_sha256 *h, uint8_t out[TS_SHA256_LEN])
{
    unsigned len = TS_SHA256_LEN;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void ts_sha256_free(ts_sha256 *h)
{
    if (!h) return;
    EVP_MD_CTX_free(h->ctx);
    OPENSSL_free(h);
}

void ts_sha256_once(const void *p, size_t n, uint8_t out[TS_SHA256_LEN])
{
    unsigned len = TS_SHA256_LEN;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void ts_hex(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

uint32_t ts_crc32(uint32_t crc, const void *p, size_t n)
{
    /* zlib takes uInt lengths; feed large buffers in slices. */
    const unsigned char *b = p;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}
