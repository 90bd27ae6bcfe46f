//! `localfly::dev`: the main machine is created through the API stand-in
//! the way a deploy would, with the settings that point it back at it.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use fly_store::localfly::dev::{self, DevOptions};

#[actix_web::test]
async fn dev_creates_the_main_machine_like_a_deploy_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("fake-fly-store");
    let script = format!(
        "#!/bin/sh\necho \"$@\" > {dir}/args\nenv > {dir}/env\necho $$ > {dir}/pid\nexec sleep 1000\n",
        dir = dir.path().display()
    );
    std::fs::write(&program, script).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = DevOptions::new("/tmp/dev-test.db");
    options.api_addr = "127.0.0.1:0".parse().unwrap();
    options.proxy_addr = "127.0.0.1:0".parse().unwrap();
    options.program = Some(program);
    options.stop_timeout = Duration::from_secs(2);

    let dev = dev::start(options).await.unwrap();
    let pid = read(&dir.path().join("pid")).await;
    let env = read(&dir.path().join("env")).await;
    let args = read(&dir.path().join("args")).await;
    let api_url = dev.local.api_url();
    dev.local.stop().await;

    let has = |pair: &str| env.lines().any(|line| line == pair);
    assert!(has(&format!("FLY_API_HOSTNAME={}", api_url)), "{env}");
    assert!(
        has("FLY_API_TOKEN=dev") && has("FLY_APP_NAME=fly-store"),
        "{env}"
    );
    assert!(has("DATABASE_URL=/tmp/dev-test.db"), "{env}");
    assert!(
        has(&format!("FLY_MACHINE_ID={}", dev.main_machine)),
        "{env}"
    );
    assert!(has(&format!("FLY_IMAGE_REF={}", dev.image_ref)), "{env}");
    assert!(
        dev.image_ref
            .starts_with("registry.fly.io/fly-store:deployment-")
    );
    assert!(args.starts_with("serve --bind 127.0.0.1:"), "{args}");
    let pid: i32 = pid.trim().parse().unwrap();
    // SAFETY: signal 0 only checks that the process exists.
    assert_ne!(unsafe { libc::kill(pid, 0) }, 0, "pid {pid} still runs");
}

async fn read(path: &std::path::Path) -> String {
    for _ in 0..250 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} never appeared", path.display());
}
