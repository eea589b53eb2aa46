"""For the scripts run by the system Python (python3-uno): a LibreOffice started headless with a private profile,
reached over a pipe, and closed again. Imported by uno_office_sheet.py and uno_type.py (same folder)."""
import os, subprocess, time, uno


def prop(n, v):
    p = uno.createUnoStruct('com.sun.star.beans.PropertyValue'); p.Name = n; p.Value = v; return p


def start(pipe, folder):
    """LibreOffice listening on `pipe`, its profile in `folder`: (process, component context, desktop)."""
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--nologo", "--norestore",
                             f"-env:UserInstallation=file://{os.path.abspath(folder)}/lo-profile-{pipe}",
                             f"--accept=pipe,name={pipe};urp;"])
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"); break
        except Exception:
            time.sleep(0.1)
    return proc, ctx, ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def stop(proc, desktop, timeout=60):
    try:
        desktop.terminate()
    except Exception:  # the bridge goes down with the office
        pass
    proc.wait(timeout=timeout)
