"""The one pipeline every front door drives, the inputs it is given (files, folders, output names),
tiling and resumable part files."""
