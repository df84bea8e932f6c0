"""Raw xlsx: reading a workbook straight from its XML, styles, the palette, atomic writes."""
