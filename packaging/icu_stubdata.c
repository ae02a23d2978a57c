/* A libicudata that holds no data (what ICU's own "stubdata" build is for), to replace Qt's 32 MB one in the
 * standalone app. ICU then finds no locale, collation or converter data in the library and works from its
 * built-in defaults: Qt keeps running (it uses ICU for locale-aware collation, time zones and legacy text
 * codecs, none of which the app relies on); UTF-8/UTF-16 and Qt's own Unicode tables do not need ICU data.
 *
 * The data library exports one symbol, icudt<version>_dat: a common-data header ("CmnD") followed by a table of
 * contents — here with no entries. Build: cc -shared -o libicudata.so.NN -Wl,-soname,libicudata.so.NN
 * -DICU_ENTRY=icudtNN_dat icu_stubdata.c
 */
#include <stdint.h>

#ifndef ICU_ENTRY
#error "define ICU_ENTRY as icudt<major version>_dat"
#endif

struct data_info {          /* ICU's UDataInfo, 20 bytes */
    uint16_t size;
    uint16_t reserved;
    uint8_t is_big_endian;
    uint8_t charset_family; /* 0: ASCII family */
    uint8_t sizeof_uchar;
    uint8_t reserved_byte;
    uint8_t data_format[4];
    uint8_t format_version[4];
    uint8_t data_version[4];
};

struct common_data {        /* header (32 bytes), then the table of contents */
    uint16_t header_size;
    uint8_t magic1, magic2; /* 0xda, 0x27: ICU's mark of a data header */
    struct data_info info;
    uint8_t padding[8];
    uint32_t count;         /* entries in the table of contents: none */
    uint32_t reserved;
    uint32_t toc[2];
};

__attribute__((visibility("default"))) const struct common_data ICU_ENTRY = {
    32, 0xda, 0x27,
    {sizeof(struct data_info), 0,
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
     1,
#else
     0,
#endif
     0, 2, 0, {'C', 'm', 'n', 'D'}, {1, 0, 0, 0}, {0, 0, 0, 0}},
    {0}, 0, 0, {0, 0}};
