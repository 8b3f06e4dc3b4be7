"""Status buzzer and LED: `Buzzer` and its backends."""
