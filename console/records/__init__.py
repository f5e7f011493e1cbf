"""Import and export of records (JSON Lines and CSV): their shapes, the importer and the exporter.

An import is all or nothing and names ``FILE:LINE: field`` at fault."""
