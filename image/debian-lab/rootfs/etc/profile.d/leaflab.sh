# Leaflab: a serial console has no size of its own; the lab's terminal is 80 x 24, so full-screen
# programs (vim, less, man) lay out for that instead of guessing.
case "$(tty 2>/dev/null)" in
  /dev/ttyS*) [ "$(stty size 2>/dev/null)" = "0 0" ] && stty rows 24 cols 80 ;;
esac
export LANG=C.UTF-8
