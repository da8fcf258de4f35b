/*
 * libvigil from C, as an app calls it: golden hashes of encoded images and raw frames, the
 * dihedral hashes, a batch with one bad frame, lists loaded and matched (a rotated frame caught
 * by a dihedral match), and bad calls answered with the right status and a message.
 *
 * Usage: test_vigil GOLDEN_DIR   (the repository's golden/ folder)
 * Built and run by scripts/test-capi.sh, natively and for aarch64 under qemu-user.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (cond) {                                                                           \
            passed++;                                                                         \
        } else {                                                                              \
            failed++;                                                                         \
            fprintf(stderr, "FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond);                 \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fprintf(stderr, " (last error: %s)\n", vigil_last_error());                       \
        }                                                                                     \
    } while (0)

/* A call that must fail with `expected` and leave a message naming what was wrong. */
#define CHECK_FAILS(call, expected, words)                                                    \
    do {                                                                                      \
        VigilStatus status_ = (call);                                                         \
        CHECK(status_ == (expected), "%s returned %s, expected %s", #call,                    \
              vigil_status_name(status_), vigil_status_name(expected));                       \
        CHECK(strstr(vigil_last_error(), (words)) != NULL, "message %s should say \"%s\"",    \
              vigil_last_error(), (words));                                                   \
    } while (0)

#define CHECK_OK(call) CHECK((call) == VIGIL_STATUS_OK, "%s failed", #call)

static const char *hex(const VigilHash *hash) {
    static char text[65];
    if (vigil_hash_to_hex(hash, text) != VIGIL_STATUS_OK) {
        return "(bad hash)";
    }
    return text;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)size);
    if (!bytes || fread(bytes, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    *len = (size_t)size;
    return bytes;
}

/* engine/src/synthetic.rs's synthetic frame, ported: pixel (x, y) of frame `index`. */
static int32_t noise(uint32_t pixel, uint32_t channel, uint32_t seed) {
    uint32_t s = ((pixel * 3u + channel) ^ seed) * 0x9E3779B1u;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return (int32_t)(s >> 27) - 16;
}

static uint64_t abs_diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static void synthetic_rgb(uint32_t x, uint32_t y, uint32_t width, uint32_t height,
                          uint32_t index, uint8_t out[3]) {
    uint64_t x64 = x, y64 = y, w = width, h = height;
    uint64_t gx = x64 * 255 / (w - 1 > 1 ? w - 1 : 1);
    uint64_t gy = y64 * 255 / (h - 1 > 1 ? h - 1 : 1);
    uint64_t period = (w + h) / (3 + index % 4) + 1;
    uint64_t t = (x64 + 2 * y64 + 17 * (uint64_t)index) % period;
    uint64_t tri = abs_diff(2 * t, period) * 255 / period;
    uint64_t cx = w * (1 + ((uint64_t)index * 7) % 5) / 7;
    uint64_t cy = h * (1 + ((uint64_t)index * 3) % 5) / 7;
    uint64_t r2 = (w * w + h * h) / 16 + 1;
    uint64_t d2 = abs_diff(x64, cx) * abs_diff(x64, cx) + abs_diff(y64, cy) * abs_diff(y64, cy);
    uint64_t blob = (r2 > d2 ? r2 - d2 : 0) * 255 / r2;
    uint64_t base[3] = {
        (3 * gx + gy + 2 * tri + 2 * blob) / 8,
        (gx + 3 * gy + tri + 3 * blob) / 8,
        (2 * (255 - gx) + gy + 3 * tri + 2 * blob) / 8,
    };
    uint32_t seed = (index * 0x9E3779B9u) ^ 0x12345678u;
    uint32_t pixel = y * width + x;
    for (uint32_t c = 0; c < 3; c++) {
        int32_t v = (int32_t)base[c] + noise(pixel, c, seed);
        out[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

enum { W = 64, H = 48 };
/* vigil::hash of synthetic frame 0 at 64x48 (pinned in capi/src/tests.rs too). */
static const char *SYNTHETIC_HASH =
    "91f703a5b687e99256078eb85ed68182d607eef00807aaadbeb8633c66f9c463";

static void raw_frames(void) {
    static uint8_t rgb[W * H * 3], bgra[W * H * 4], padded[H * (W * 3 + 7)];
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++) {
            uint8_t *p = &rgb[(y * W + x) * 3];
            synthetic_rgb(x, y, W, H, 0, p);
            uint8_t *q = &bgra[(y * W + x) * 4];
            q[0] = p[2], q[1] = p[1], q[2] = p[0], q[3] = 255;
        }
    }
    VigilPdqHash pdq;
    CHECK_OK(vigil_hash_frame(rgb, sizeof rgb, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8, &pdq));
    CHECK(strcmp(hex(&pdq.hash), SYNTHETIC_HASH) == 0, "raw rgb8 frame hashed to %s",
          hex(&pdq.hash));
    CHECK(pdq.quality == 100, "quality %d", pdq.quality);

    /* The same picture as BGRA, and in rows padded with junk: the same hash. */
    VigilPdqHash other;
    CHECK_OK(vigil_hash_frame(bgra, sizeof bgra, W, H, W * 4, VIGIL_PIXEL_FORMAT_BGRA8, &other));
    CHECK(vigil_hash_distance(&pdq.hash, &other.hash) == 0, "bgra8 hashed to %s",
          hex(&other.hash));
    memset(padded, 0xA5, sizeof padded);
    for (uint32_t y = 0; y < H; y++) {
        memcpy(&padded[y * (W * 3 + 7)], &rgb[y * W * 3], W * 3);
    }
    CHECK_OK(vigil_hash_frame(padded, sizeof padded, W, H, W * 3 + 7, VIGIL_PIXEL_FORMAT_RGB8,
                              &other));
    CHECK(vigil_hash_distance(&pdq.hash, &other.hash) == 0, "padded rows hashed to %s",
          hex(&other.hash));

    /* Dihedral: the original orientation is the plain hash. */
    VigilDihedralHashes all;
    CHECK_OK(vigil_hash_frame_dihedral(rgb, sizeof rgb, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8,
                                       &all));
    CHECK(vigil_hash_distance(&all.hashes[VIGIL_DIHEDRAL_ORIGINAL], &pdq.hash) == 0,
          "dihedral original %s", hex(&all.hashes[0]));
    CHECK(all.quality == pdq.quality, "dihedral quality %d", all.quality);
    CHECK(strcmp(vigil_dihedral_name(VIGIL_DIHEDRAL_ROTATE90), "rotate90") == 0, "name");
    CHECK(vigil_dihedral_name(8) == NULL, "no ninth orientation");

    /* The frame rotated 90 degrees clockwise (48 wide, 64 high): a plain match against a list
     * holding the original misses it, a dihedral match catches it. */
    static uint8_t rotated[W * H * 3];
    for (uint32_t y = 0; y < W; y++) {
        for (uint32_t x = 0; x < H; x++) {
            memcpy(&rotated[(y * H + x) * 3], &rgb[((H - 1 - x) * W + y) * 3], 3);
        }
    }
    char list[80];
    snprintf(list, sizeof list, "%s,100,original\n", SYNTHETIC_HASH);
    VigilMatcher *matcher = NULL;
    CHECK_OK(vigil_matcher_new(NULL, &matcher));
    size_t index = 99;
    CHECK_OK(vigil_matcher_add_list(matcher, "in-memory", (const uint8_t *)list, strlen(list), 31,
                                    &index));
    CHECK(index == 0, "first list index %zu", index);
    VigilDihedralHashes turned;
    CHECK_OK(vigil_hash_frame_dihedral(rotated, sizeof rotated, H, W, H * 3,
                                       VIGIL_PIXEL_FORMAT_RGB8, &turned));
    VigilPdqHash turned_plain = {turned.hashes[VIGIL_DIHEDRAL_ORIGINAL], turned.quality};
    VigilMatches *matches = NULL;
    CHECK_OK(vigil_matcher_match(matcher, &turned_plain, &matches));
    CHECK(vigil_matches_count(matches) == 0, "a plain match of the rotated frame found %zu",
          vigil_matches_count(matches));
    vigil_matches_free(matches);
    CHECK_OK(vigil_matcher_match_dihedral(matcher, &turned, &matches));
    CHECK(vigil_matches_count(matches) == 1, "dihedral match found %zu",
          vigil_matches_count(matches));
    const VigilMatch *m = vigil_matches_get(matches, 0);
    if (m) {
        CHECK(strcmp(m->entry_id, "original") == 0, "entry id %s", m->entry_id);
        CHECK(strcmp(m->list_name, "in-memory") == 0, "list name %s", m->list_name);
        CHECK(m->orientation != VIGIL_DIHEDRAL_ORIGINAL && m->distance <= 31,
              "orientation %s, distance %u", vigil_dihedral_name(m->orientation), m->distance);
        printf("rotated frame: matched by its %s orientation at distance %u\n",
               vigil_dihedral_name(m->orientation), m->distance);
    }
    vigil_matches_free(matches);
    vigil_matcher_free(matcher);

    /* A batch of three frames, the middle one with a stride shorter than its row. */
    VigilHasher *hasher = NULL;
    CHECK_OK(vigil_hasher_new(VIGIL_BACKEND_CPU, &hasher));
    VigilFrame frames[3] = {
        {rgb, sizeof rgb, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8},
        {rgb, sizeof rgb, W, H, W * 3 - 1, VIGIL_PIXEL_FORMAT_RGB8},
        {bgra, sizeof bgra, W, H, W * 4, VIGIL_PIXEL_FORMAT_BGRA8},
    };
    VigilPdqHash results[3];
    VigilStatus statuses[3];
    CHECK_OK(vigil_hasher_hash_batch(hasher, frames, 3, results, statuses));
    CHECK(statuses[0] == VIGIL_STATUS_OK && statuses[2] == VIGIL_STATUS_OK, "good frames");
    CHECK(statuses[1] == VIGIL_STATUS_INVALID_ARGUMENT, "bad frame status %s",
          vigil_status_name(statuses[1]));
    CHECK(strstr(vigil_last_error(), "frame 1: row stride") != NULL, "batch message");
    CHECK(strcmp(hex(&results[0].hash), SYNTHETIC_HASH) == 0, "batch frame 0 %s",
          hex(&results[0].hash));
    CHECK(strcmp(hex(&results[2].hash), SYNTHETIC_HASH) == 0, "batch frame 2 %s",
          hex(&results[2].hash));
    VigilDihedralHashes batch_all[3];
    CHECK_OK(vigil_hasher_hash_dihedral_batch(hasher, frames, 3, batch_all, statuses));
    CHECK(memcmp(&batch_all[0], &all, sizeof all) == 0, "dihedral batch frame 0");
    CHECK(statuses[1] == VIGIL_STATUS_INVALID_ARGUMENT, "dihedral batch bad frame");
    CHECK_FAILS(vigil_hasher_hash_batch(NULL, frames, 3, results, statuses),
                VIGIL_STATUS_NULL_POINTER, "`hasher` is NULL");
    CHECK_FAILS(vigil_hasher_hash_batch(hasher, frames, 3, NULL, statuses),
                VIGIL_STATUS_NULL_POINTER, "`results` is NULL");
    CHECK_FAILS(vigil_hasher_hash_batch(hasher, frames, SIZE_MAX, results, statuses),
                VIGIL_STATUS_INVALID_ARGUMENT, "too large");
    vigil_hasher_free(hasher);
    vigil_hasher_free(NULL);

    /* A GPU: there, or refused with a status (never a crash). */
    VigilStatus gpu = vigil_hasher_new(VIGIL_BACKEND_GPU, &hasher);
    CHECK(gpu == VIGIL_STATUS_OK || gpu == VIGIL_STATUS_GPU_UNAVAILABLE, "gpu: %s",
          vigil_status_name(gpu));
    if (gpu == VIGIL_STATUS_OK) {
        CHECK_OK(vigil_hasher_hash_batch(hasher, frames, 3, results, statuses));
        CHECK(strcmp(hex(&results[2].hash), SYNTHETIC_HASH) == 0, "gpu batch %s",
              hex(&results[2].hash));
        vigil_hasher_free(hasher);
    } else {
        printf("no GPU hasher: %s\n", vigil_last_error());
    }

    /* Bad frames. */
    CHECK_FAILS(vigil_hash_frame(NULL, sizeof rgb, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8, &pdq),
                VIGIL_STATUS_NULL_POINTER, "`data` is NULL");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8, NULL),
                VIGIL_STATUS_NULL_POINTER, "`out` is NULL");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, 0, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8, &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "empty");
    CHECK_FAILS(vigil_hash_frame(rgb, 0, W, H, W * 3, VIGIL_PIXEL_FORMAT_RGB8, &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "holds 0 bytes");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, W, H, W * 3 - 1, VIGIL_PIXEL_FORMAT_RGB8, &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "stride");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, W, H + 1, W * 3, VIGIL_PIXEL_FORMAT_RGB8, &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "the frame needs");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, W, H, SIZE_MAX / 2, VIGIL_PIXEL_FORMAT_RGB8,
                                 &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "the frame needs");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, 100000, 1, 300000, VIGIL_PIXEL_FORMAT_RGB8,
                                 &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "larger than 16384");
    CHECK_FAILS(vigil_hash_frame(rgb, sizeof rgb, W, H, W * 3, 42, &pdq),
                VIGIL_STATUS_INVALID_ARGUMENT, "unknown pixel format 42");
    CHECK_FAILS(vigil_hasher_new(7, &hasher), VIGIL_STATUS_INVALID_ARGUMENT, "unknown backend");
    CHECK_FAILS(vigil_hash_from_hex("12ab", &pdq.hash), VIGIL_STATUS_INVALID_ARGUMENT, "");
}

static void encoded_images_and_lists(const char *golden) {
    size_t photo_len, text_len, list_len;
    uint8_t *photo = read_file(golden, "inputs/photo-320x240-rgb8.png", &photo_len);
    uint8_t *text = read_file(golden, "inputs/text-400x300-luma8.png", &text_len);
    uint8_t *list = read_file(golden, "demo-list.csv", &list_len);

    /* Golden hashes of PNGs decoded in memory (golden/manifest.csv). */
    VigilPdqHash pdq;
    CHECK_OK(vigil_hash_image(photo, photo_len, NULL, &pdq));
    CHECK(strcmp(hex(&pdq.hash),
                 "2d031bf7d91acfac95d8610fd8652061dd46cd89caf058297a317cd91db5c7c2") == 0 &&
              pdq.quality == 100,
          "photo-320x240-rgb8.png hashed to %s,%d", hex(&pdq.hash), pdq.quality);
    VigilPdqHash text_pdq;
    CHECK_OK(vigil_hash_image(text, text_len, NULL, &text_pdq));
    CHECK(strcmp(hex(&text_pdq.hash),
                 "121906f5b49fc366ad3af34b45341c995366bd898966e0dbe6f68295302d7f21") == 0,
          "text-400x300-luma8.png hashed to %s", hex(&text_pdq.hash));
    VigilDihedralHashes text_all;
    CHECK_OK(vigil_hash_image_dihedral(text, text_len, NULL, &text_all));
    CHECK(vigil_hash_distance(&text_all.hashes[0], &text_pdq.hash) == 0, "image dihedral");

    /* Limits: a decompression bomb is refused from the header, before it is decoded. */
    VigilDecodeOptions options;
    CHECK_OK(vigil_decode_options_default(&options));
    CHECK(options.max_alloc_bytes == (uint64_t)1 << 30 && !options.apply_exif, "defaults");
    options.max_alloc_bytes = 100 * 1000;
    CHECK_FAILS(vigil_hash_image(photo, photo_len, &options, &pdq), VIGIL_STATUS_DECODE_ERROR,
                "decompression bomb");
    /* Corrupt and truncated image bytes. */
    uint8_t corrupt[64];
    memcpy(corrupt, photo, sizeof corrupt);
    CHECK_FAILS(vigil_hash_image(corrupt, sizeof corrupt, NULL, &pdq), VIGIL_STATUS_DECODE_ERROR,
                "image");
    CHECK_FAILS(vigil_hash_image((const uint8_t *)"GIF89a junk", 11, NULL, &pdq),
                VIGIL_STATUS_DECODE_ERROR, "image");
    CHECK_FAILS(vigil_hash_image(photo, 0, NULL, &pdq), VIGIL_STATUS_INVALID_ARGUMENT, "len");
    CHECK_FAILS(vigil_hash_image(NULL, photo_len, NULL, &pdq), VIGIL_STATUS_NULL_POINTER,
                "`data` is NULL");

    /* Lists: demo-list.csv from a file and from memory, two lists with their thresholds. */
    VigilMatcher *matcher = NULL;
    CHECK_OK(vigil_matcher_new(NULL, &matcher));
    char path[4096];
    snprintf(path, sizeof path, "%s/demo-list.csv", golden);
    size_t index = 99;
    CHECK_OK(vigil_matcher_add_list_file(matcher, path, 31, &index));
    CHECK(index == 0, "file list index %zu", index);
    CHECK_OK(vigil_matcher_add_list(matcher, "strict", list, list_len, 2, &index));
    CHECK(index == 1 && vigil_matcher_list_count(matcher) == 2, "two lists");

    /* The photo is demo-0001 with 3 bits changed: within 31, not within 2. */
    VigilMatches *matches = NULL;
    CHECK_OK(vigil_matcher_match(matcher, &pdq, &matches));
    CHECK(vigil_matches_count(matches) == 1, "photo matched %zu", vigil_matches_count(matches));
    const VigilMatch *m = vigil_matches_get(matches, 0);
    if (m) {
        CHECK(m->list_index == 0 && strcmp(m->list_name, path) == 0, "list %zu %s",
              m->list_index, m->list_name);
        CHECK(strcmp(m->entry_id, "demo-0001") == 0 && m->entry_index == 0, "entry %s",
              m->entry_id);
        CHECK(m->distance == 3 && m->orientation == VIGIL_DIHEDRAL_ORIGINAL, "distance %u",
              m->distance);
    }
    CHECK(vigil_matches_get(matches, 1) == NULL, "one match only");
    vigil_matches_free(matches);

    /* demo-0002 is the text image rotated 90 degrees: only the dihedral query finds it, in
     * both lists, at distance 0. */
    CHECK_OK(vigil_matcher_match(matcher, &text_pdq, &matches));
    CHECK(vigil_matches_count(matches) == 0, "plain text query matched");
    vigil_matches_free(matches);
    CHECK_OK(vigil_matcher_match_dihedral(matcher, &text_all, &matches));
    CHECK(vigil_matches_count(matches) == 2, "dihedral text query matched %zu",
          vigil_matches_count(matches));
    for (size_t i = 0; i < vigil_matches_count(matches); i++) {
        m = vigil_matches_get(matches, i);
        CHECK(strcmp(m->entry_id, "demo-0002") == 0 && m->distance == 0 &&
                  m->orientation != VIGIL_DIHEDRAL_ORIGINAL,
              "%s at %u by %s", m->entry_id, m->distance, vigil_dihedral_name(m->orientation));
    }
    vigil_matches_free(matches);

    /* Low quality: not matched, and said so. */
    VigilPdqHash low = pdq;
    low.quality = 20;
    CHECK_OK(vigil_matcher_match(matcher, &low, &matches));
    CHECK(vigil_matches_low_quality(matches) == 1 && vigil_matches_count(matches) == 0,
          "low quality");
    vigil_matches_free(matches);

    /* Bad lists: the matcher keeps its two. */
    const char *garbage = "this is not a hash list\n";
    CHECK_FAILS(vigil_matcher_add_list(matcher, "garbage.txt", (const uint8_t *)garbage,
                                       strlen(garbage), 31, NULL),
                VIGIL_STATUS_LIST_ERROR, "garbage.txt:1:");
    uint8_t binary[200] = "VIGILPDQ";
    CHECK_FAILS(vigil_matcher_add_list(matcher, "corrupt.bin", binary, sizeof binary, 31, NULL),
                VIGIL_STATUS_LIST_ERROR, "damaged binary hash list");
    CHECK_FAILS(vigil_matcher_add_list(matcher, "empty", (const uint8_t *)"\n", 1, 31, NULL),
                VIGIL_STATUS_LIST_ERROR, "no hashes");
    CHECK_FAILS(vigil_matcher_add_list(matcher, "big", list, list_len, 1000, NULL),
                VIGIL_STATUS_INVALID_ARGUMENT, "threshold 1000");
    CHECK_FAILS(vigil_matcher_add_list(NULL, "x", list, list_len, 31, NULL),
                VIGIL_STATUS_NULL_POINTER, "`matcher` is NULL");
    CHECK_FAILS(vigil_matcher_add_list(matcher, "x", NULL, list_len, 31, NULL),
                VIGIL_STATUS_NULL_POINTER, "`data` is NULL");
    CHECK_FAILS(vigil_matcher_add_list_file(matcher, "/nonexistent/list.csv", 31, NULL),
                VIGIL_STATUS_IO_ERROR, "/nonexistent/list.csv");
    CHECK_FAILS(vigil_matcher_match(matcher, NULL, &matches), VIGIL_STATUS_NULL_POINTER,
                "`query` is NULL");
    CHECK_FAILS(vigil_matcher_match(matcher, &pdq, NULL), VIGIL_STATUS_NULL_POINTER,
                "`out` is NULL");
    CHECK(vigil_matcher_list_count(matcher) == 2, "failed adds add nothing");
    vigil_matcher_free(matcher);
    vigil_matcher_free(NULL);
    vigil_matches_free(NULL);

    free(photo);
    free(text);
    free(list);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
        return 2;
    }
    printf("libvigil %s\n", vigil_version());
    CHECK(strlen(vigil_version()) > 0, "version");
    CHECK(strcmp(vigil_status_name(VIGIL_STATUS_DECODE_ERROR), "DECODE_ERROR") == 0, "names");
    CHECK(strcmp(vigil_status_name(99), "UNKNOWN") == 0, "unknown status");
    raw_frames();
    encoded_images_and_lists(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
