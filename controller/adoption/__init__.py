"""Adopting what metal-stack's Go `gardener-extension-ontap` made: its naming (`names`) and the pure
decisions over what a pass observed (`plan`); the I/O lives in the steps."""
