# Turns page.html into a C array (cmake -DINPUT=... -DOUTPUT=... -P embed.cmake),
# so the dxemem tool writes the page without any file beside it.
file(READ ${INPUT} content HEX)
string(LENGTH "${content}" hex_length)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT}
  "/* Generated from page.html by embed.cmake; do not edit. */\n"
  "#include \"page_html.h\"\n"
  "static const unsigned char page_bytes[] = {\n${bytes}0x00};\n"
  "const char *const view_page_html = (const char *)page_bytes;\n")
