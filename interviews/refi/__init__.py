"""REFI-QDA exchange: studies as ``.qdpx`` projects and codebooks as ``.qdc`` files, in and out.

``archive`` opens an uploaded project safely (zip and XML limits), ``reader``
turns its XML into plain data, ``importer`` previews and writes that data into
a study, ``exporter`` writes a study as a project or a codebook, and
``spreadsheets`` writes the CSV and XLSX exports. The schemas the exports are
checked against live in ``schema/``.
"""
