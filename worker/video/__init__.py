"""Video inspection with PyAV: probing, decoding, frame sampling and thumbnails."""
