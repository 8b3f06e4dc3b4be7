"""Receipt printers (小票打印机): `ReceiptPrinter`, its backends and the print queue."""
