"""Tailing local files by polling: rotation (rename and create), truncation and restarts that
neither lose nor repeat a line. Shared by the `log_stream` and `audit` (auditd) triggers."""

from triggers.log_stream.tail.identity import FileKey
from triggers.log_stream.tail.line import Line
from triggers.log_stream.tail.positions import Position, decode_positions, encode_positions
from triggers.log_stream.tail.tailer import Tailer

__all__ = ["FileKey", "Line", "Position", "Tailer", "decode_positions", "encode_positions"]
