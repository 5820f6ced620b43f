#!/usr/bin/env bash
# Captures a real Linux guest's page tables the way SPEC §8 and the README describe: Debian's
# kernel boots in QEMU (TCG, no KVM needed) into a busybox initramfs whose init spins in user
# space; then, from the QEMU monitor, the guest is stopped, its registers read, its RAM saved
# with `pmemsave` and QEMU's own `info tlb` taken as the reference listing.
#
#   scripts/real-guest.sh OUTDIR
#
# OUTDIR receives guest.ram (raw physical memory from address 0), cr3 (hex, PCID bits cleared), cr4,
# qemu-tlb.txt (the `info tlb` lines), registers.txt, serial.log and monitor.log. The kernel
# package is fetched with `apt-get download` once and kept in OUTDIR. Needs qemu-system-x86,
# busybox-static and cpio (scripts/install-deps.sh installs them).
set -euo pipefail
out=${1:?usage: scripts/real-guest.sh OUTDIR}
ram_mib=${MMUVP_GUEST_RAM_MIB:-256}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$out"

for tool in qemu-system-x86_64 busybox cpio gzip apt-get; do
  command -v "$tool" >/dev/null || { echo "real-guest: $tool not found" >&2; exit 1; }
done

# The kernel: the image package linux-image-amd64 depends on, unpacked.
if [ ! -f vmlinuz ]; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "real-guest: no kernel package behind linux-image-amd64" >&2; exit 1; }
  rm -rf kernel-deb && mkdir kernel-deb
  (cd kernel-deb && apt-get download "$pkg" 2>/dev/null)
  dpkg-deb -x kernel-deb/*.deb kernel-deb/root
  cp kernel-deb/root/boot/vmlinuz-* vmlinuz
  echo "$pkg" > kernel-package
  rm -rf kernel-deb
fi

busybox=$(command -v busybox)
if readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then
  echo "real-guest: $busybox is dynamically linked; the initramfs needs busybox-static" >&2
  exit 1
fi

# The initramfs: static busybox; init mounts /proc, says so, and spins in user space.
rm -rf initramfs && mkdir -p initramfs/bin initramfs/proc
cp "$busybox" initramfs/bin/busybox
cat > initramfs/init <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "mmuvp-guest: spinning"
while :; do :; done
EOF
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet) | gzip > initrd.gz
rm -rf initramfs

# Boot. 4-level paging (la57=off: the platform models 4-level x86-64 paging, SPEC §1). The monitor
# is a pair of FIFOs: commands into mon.in, output from mon.out.
rm -f mon.in mon.out guest.ram serial.log monitor.log
mkfifo mon.in mon.out
cat mon.out > monitor.log &
reader=$!
qemu-system-x86_64 -accel tcg -cpu max,la57=off -m "${ram_mib}M" -smp 1 \
  -kernel vmlinuz -initrd initrd.gz -append "console=ttyS0 panic=-1" \
  -display none -no-reboot -serial file:serial.log \
  -chardev pipe,id=mon,path=mon -mon chardev=mon,mode=readline &
qemu=$!
exec 3>mon.in
cleanup() { kill "$qemu" 2>/dev/null || true; exec 3>&-; rm -f mon.in mon.out; }
trap cleanup EXIT

for _ in $(seq 600); do
  grep -q "mmuvp-guest: spinning" serial.log 2>/dev/null && break
  kill -0 "$qemu" 2>/dev/null || { echo "real-guest: QEMU exited during boot (serial.log)" >&2; exit 1; }
  sleep 0.5
done
grep -q "mmuvp-guest: spinning" serial.log ||
  { echo "real-guest: the guest did not reach its init in 300 s (serial.log)" >&2; exit 1; }
sleep 1  # let init run in user space for a while

printf "stop\ninfo registers\npmemsave 0 %#x guest.ram\ninfo tlb\ninfo status\n" \
  $((ram_mib << 20)) >&3  # guest.ram: relative to QEMU's working directory, OUTDIR
# The monitor's output drains through the FIFO at the reader's pace: quit only once the last
# command's answer is out (a quit right away can cut the listing short).
for _ in $(seq 600); do
  grep -q "VM status: paused" monitor.log && break
  sleep 0.5
done
grep -q "VM status: paused" monitor.log || { echo "real-guest: the monitor did not answer" >&2; exit 1; }
printf "quit\n" >&3
wait "$qemu" || true
wait "$reader" || true

tr -d '\r' < monitor.log | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > monitor.txt
grep -E '^(RAX|RSI|R8 |R12|RIP|CR0|EFER)' monitor.txt > registers.txt || true
grep -E '^[0-9a-f]{16}: [0-9a-f]{16} ' monitor.txt > qemu-tlb.txt || true
rm -f monitor.txt
cr3=$(sed -n 's/.*CR3=\([0-9a-f]*\).*/\1/p' registers.txt)
cr4=$(sed -n 's/.*CR4=\([0-9a-f]*\).*/\1/p' registers.txt)
[ -n "$cr3" ] && [ -n "$cr4" ] || { echo "real-guest: no CR3/CR4 in monitor.log" >&2; exit 1; }
(( (0x$cr4 >> 12) & 1 )) && { echo "real-guest: the guest runs 5-level paging (CR4.LA57)" >&2; exit 1; }
printf '%#x\n' $((0x$cr3 & ~0xfff)) > cr3
printf '%#x\n' $((0x$cr4)) > cr4
[ -s qemu-tlb.txt ] || { echo "real-guest: empty info tlb (monitor.log)" >&2; exit 1; }
[ "$(stat -c %s guest.ram)" -eq $((ram_mib << 20)) ] ||
  { echo "real-guest: guest.ram is not ${ram_mib} MiB" >&2; exit 1; }
echo "real-guest: $(cat kernel-package), CR3 $(cat cr3), $(wc -l < qemu-tlb.txt) mappings in QEMU's info tlb"
