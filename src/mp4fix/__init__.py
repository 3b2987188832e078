"""mp4fix: rebuild the lost index (moov) of an MP4/MOV recording from a healthy reference file."""

__version__ = "0.1.0"
