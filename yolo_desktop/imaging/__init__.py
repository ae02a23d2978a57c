"""Pixels in and out: photos decoded upright (EXIF, formats, the pixel cap), boxes drawn, the palette."""
