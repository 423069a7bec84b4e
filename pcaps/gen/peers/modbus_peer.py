"""Modbus/TCP peer on pymodbus: ``server PORT`` or ``client PORT VARIANT``."""

import sys


def server(port):
    from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
    from pymodbus.server import StartTcpServer
    block = lambda: ModbusSequentialDataBlock(1, [7] * 100)
    dev = ModbusDeviceContext(di=block(), co=block(), hr=block(), ir=block())
    StartTcpServer(context=ModbusServerContext(devices=dev, single=True), address=("127.0.0.1", port))


def client(port, variant):
    from pymodbus.client import ModbusTcpClient
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
    assert c.connect()
    if variant == "read-holding":
        c.read_holding_registers(0, count=10)
        c.read_input_registers(5, count=4)
    elif variant == "write-coils":
        c.write_coil(3, True)
        c.write_coils(10, [True, False, True])
        c.read_coils(0, count=16)
    elif variant == "write-registers":
        c.write_register(1, 1234)
        c.write_registers(20, [1, 2, 3, 4])
        c.read_discrete_inputs(0, count=8)
    c.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        client(int(sys.argv[2]), sys.argv[3])
