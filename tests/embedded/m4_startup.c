/* m4_startup.c - the least a Cortex-M4 needs to start under qemu-system-arm -M
 * mps2-an386: a vector table at address 0 (initial SP, reset) and a reset handler
 * that enables the FPU (CPACR) and enters newlib's rdimon start, _start, which
 * clears .bss, calls main and exits through semihosting. A fault exits with 99.
 */
extern void _start(void);
extern void _exit(int);
extern char __stack[];
void reset_handler(void);

static void fault(void)
{
	_exit(99);
}

void reset_handler(void)
{
	*(volatile unsigned long *)0xE000ED88 |= 0xFUL << 20; /* CP10, CP11: full access */
	__asm__ volatile("dsb\n\tisb");
	_start();
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
	(void (*)(void))__stack, reset_handler, fault, fault, fault, fault, fault,
};
