"""ftp-data: the data connection of an FTP session.  Its payload is arbitrary file
content, so it has no probe: the engine labels it through an expectation -- the
endpoint (address, port) that the FTP control channel announced IN ITS PAYLOAD
(227 PASV reply, 229 EPSV reply, PORT or EPRT command; see ftp.announced) -- matched
against the later flow's tuple in engine.Expectations, outside every detector.
"""
from .base import DetectorSpec

SPEC = DetectorSpec(name="ftp-data", transports=("tcp",), probe=None)
