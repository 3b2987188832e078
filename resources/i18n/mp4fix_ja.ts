<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja_JP">
<context>
    <name />
    <message>
        <location filename="../../src/mp4fix/gui/job.py" line="49" />
        <source>The result would take the original recording's name; choose another name or folder in Settings.</source>
        <translation>修復したファイルが元の録画と同じ名前になってしまいます。設定で別の名前か保存先を選んでください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/job.py" line="71" />
        <source>%1 already exists. To replace it or keep both, change "If the name is taken" in Settings.</source>
        <translation>%1 はすでにあります。置き換えるか両方残すには、設定の「同じ名前がある場合」を変更してください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/jobs.py" line="68" />
        <source>This version of mp4fix cannot repair files yet.</source>
        <translation>このバージョンの mp4fix はまだファイルを修復できません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/jobs.py" line="73" />
        <source>Something unexpected went wrong and the file was not repaired. The details can help a developer find the cause.</source>
        <translation>予期しない問題が起きたため、ファイルは修復されませんでした。「詳細」の内容は開発者が原因を調べる手がかりになります。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="78" />
        <source> (cut short)</source>
        <translation>（途中で切れています）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="110" />
        <source>This file has not been checked (the checker is not available).</source>
        <translation>このファイルは確認できませんでした（確認機能が使えません）。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="114" />
        <source>Boxes in the file:</source>
        <translation>ファイル内のボックス:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="117" />
        <source>ffmpeg says:</source>
        <translation>ffmpeg の出力:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="122" />
        <source>The index (moov) is missing: the recording was not finished. %1 of audio/video data can be recovered.</source>
        <translation>インデックス（moov）がありません。録画が最後まで終わらなかったためです。%1 の映像・音声データを復元できます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="125" />
        <source>The index (moov) is missing: the recording was not finished.</source>
        <translation>インデックス（moov）がありません。録画が最後まで終わらなかったためです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="129" />
        <source>This file is not broken: its index is complete, so there is nothing to repair. It can serve as the reference.</source>
        <translation>このファイルは壊れていません。インデックスがそろっているので修復は不要です。参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="131" />
        <source>No audio or video data was found in this file, so there is nothing to recover.</source>
        <translation>このファイルには映像・音声データが見つからないため、復元できるものがありません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="170" />
        <source>Not checked (the checker is not available).</source>
        <translation>未確認です（確認機能が使えません）。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="175" />
        <source>This file is broken too: it has no index (moov). Choose a healthy recording made with the same camera and settings.</source>
        <translation>このファイルも壊れています（インデックス moov がありません）。同じカメラ・同じ設定で撮った正常な録画を選んでください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="181" />
        <source>mp4fix cannot rebuild any track of this file (codecs: %1).</source>
        <translation>mp4fix はこのファイルのどのトラックも再構築できません（コーデック: %1）。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="190" />
        <source>A healthy recording; it can be used as the reference.</source>
        <translation>正常な録画です。参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="229" />
        <source>The reference looks like it comes from another device or format (%1, the broken file is %2). Use a recording made with the same camera and settings.</source>
        <translation>参照ファイルは別の機器または形式のもののようです（参照: %1、壊れたファイル: %2）。同じカメラ・同じ設定で撮った録画を使ってください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="233" />
        <source>The reference is a %1 file but the broken file is %2. Recordings from the same camera and settings usually share the same type.</source>
        <translation>参照ファイルは %1 形式ですが、壊れたファイルは %2 形式です。同じカメラ・同じ設定の録画は通常同じ形式です。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="16" />
        <source>%1 bytes</source>
        <translation>%1 バイト</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="53" />
        <source>Video</source>
        <translation>映像</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="53" />
        <source>Audio</source>
        <translation>音声</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="53" />
        <source>Timecode</source>
        <translation>タイムコード</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="53" />
        <source>Data</source>
        <translation>データ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="54" />
        <source>Subtitles</source>
        <translation>字幕</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="54" />
        <source>Text</source>
        <translation>テキスト</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="55" />
        <source>Track</source>
        <translation>トラック</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="60" />
        <source>mono</source>
        <translation>モノラル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="62" />
        <source>stereo</source>
        <translation>ステレオ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="64" />
        <source>%1 channels</source>
        <translation>%1 チャンネル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="72" />
        <source>%1 fps</source>
        <translation>%1 fps</translation>
    </message>
</context>
<context>
    <name>DetailsExpander</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="427" />
        <source>Details</source>
        <translation>詳細</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="428" />
        <source>Show details</source>
        <translation>詳細を表示</translation>
    </message>
</context>
<context>
    <name>DetailsPanel</name>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="93" />
        <source>&amp;Play</source>
        <translation>再生(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="94" />
        <source>Show in &amp;folder</source>
        <translation>フォルダーで表示(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="95" />
        <source>Use as &amp;reference</source>
        <translation>参照ファイルにする(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="96" />
        <source>&amp;Try again</source>
        <translation>もう一度試す(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="97" />
        <source>&amp;Cancel this file</source>
        <translation>このファイルを中止(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="98" />
        <source>Remove from &amp;list</source>
        <translation>一覧から外す(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="99" />
        <source>Select a file in the list to see what was found and what was recovered.</source>
        <translation>一覧のファイルを選ぶと、見つかった問題と復元された内容がここに表示されます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="126" />
        <source>The result was not checked with ffmpeg.</source>
        <translation>結果は ffmpeg で確認していません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="128" />
        <source>ffmpeg decoded the whole file without errors.</source>
        <translation>ffmpeg でファイル全体をエラーなしでデコードできました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="131" />
        <source>ffmpeg decoded the file with 1 error; a moment may show a glitch.</source>
        <translation>ffmpeg でのデコード中にエラーが 1 件ありました。一瞬乱れる箇所があるかもしれません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="132" />
        <source>ffmpeg decoded the file with %1 errors; some moments may show glitches.</source>
        <translation>ffmpeg でのデコード中にエラーが %1 件ありました。乱れる箇所があるかもしれません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="141" />
        <source>%1 frames</source>
        <translation>%1 フレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="143" />
        <source>%1 packets</source>
        <translation>%1 パケット</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="147" />
        <source>not recovered</source>
        <translation>復元できませんでした</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="153" />
        <source>%1 of data belonged to no track and was left out.</source>
        <translation>どのトラックにも属さない %1 のデータは除外しました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="156" />
        <source>The last %1 were cut off by the crash in the middle of a frame and cannot be used.</source>
        <translation>最後の %1 は停止時にフレームの途中で切れていたため使えません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="182" />
        <source>Repaired: %1 recovered, saved as %2.</source>
        <translation>修復しました。%1 を復元し、%2 として保存しました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="195" />
        <source>First recovered frame</source>
        <translation>復元された最初のフレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="197" />
        <source>Last recovered frame</source>
        <translation>復元された最後のフレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="212" />
        <source>Cancelled. Nothing was written; the original is untouched.</source>
        <translation>中止しました。何も書き込まれておらず、元のファイルもそのままです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="218" />
        <source>Waiting for the files before it to finish.</source>
        <translation>前のファイルの修復が終わるのを待っています。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="221" />
        <source>Checking the file…</source>
        <translation>ファイルを確認しています…</translation>
    </message>
</context>
<context>
    <name>DropArea</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="107" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="135" />
        <source>Drop more broken recordings here</source>
        <translation>ほかの壊れた録画もここにドロップできます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="108" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="136" />
        <source>Drop broken recordings here</source>
        <translation>壊れた録画をここにドロップ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="109" />
        <source>Files or whole folders. Several at once are repaired one after another.</source>
        <translation>ファイルでもフォルダーごとでもかまいません。複数あれば順に修復します。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="110" />
        <source>&amp;Add files…</source>
        <translation>ファイルを追加(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="111" />
        <source>Add &amp;folder…</source>
        <translation>フォルダーを追加(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="112" />
        <source>Drop area for broken recordings</source>
        <translation>壊れた録画のドロップ先</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="113" />
        <source>Press Enter to choose files.</source>
        <translation>Enter キーでファイルを選べます。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="304" />
        <source>Repair unfinished recordings</source>
        <translation>途中で終わった録画を修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="305" />
        <source>For videos whose recording was cut off (battery, crash, full card). The originals are never changed.</source>
        <translation>電池切れ・停止・カードの容量不足などで途中で切れた動画に。元のファイルは変更しません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="307" />
        <source>&amp;Settings</source>
        <translation>設定(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="308" />
        <source>Where repaired files go and how they are named</source>
        <translation>修復したファイルの保存先と名前</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="309" />
        <source>Cancel a&amp;ll</source>
        <translation>すべて中止(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="310" />
        <source>Clear &amp;finished</source>
        <translation>完了したものを消去(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="311" />
        <source>Add files</source>
        <translation>ファイルを追加</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="312" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="314" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="704" />
        <source>Repair</source>
        <translation>修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="313" />
        <source>Files to repair</source>
        <translation>修復するファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="346" />
        <source>No MP4 or MOV files were found in %1.</source>
        <translation>%1 に MP4 / MOV ファイルは見つかりませんでした。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="358" />
        <source>Already in the list.</source>
        <translation>すでに一覧にあります。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="366" />
        <source>Choose broken recordings</source>
        <translation>壊れた録画を選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="367" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="392" />
        <source>Videos (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;All files (*)</source>
        <translation>動画 (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="372" />
        <source>Choose a folder of recordings</source>
        <translation>録画のあるフォルダーを選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="391" />
        <source>Choose a healthy recording from the same camera</source>
        <translation>同じカメラで撮った正常な録画を選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="458" />
        <source>Used last time for this folder.</source>
        <translation>このフォルダーで前回使ったファイルです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="498" />
        <source>Healthy files in the folder were left out of the list; one of them can serve as the reference.</source>
        <translation>フォルダー内の正常なファイルは一覧から外しました。そのうちの 1 つを参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="538" />
        <source>A reference file is needed</source>
        <translation>参照ファイルが必要です</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="539" />
        <source>Drop a healthy recording made with the same camera and settings on the Reference file box, or choose one. mp4fix learns from it how to read the broken files.</source>
        <translation>同じカメラ・同じ設定で撮った正常な録画を「参照ファイル」の欄にドロップするか、選んでください。mp4fix はそこから壊れたファイルの読み方を学びます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="545" />
        <source>The reference is still being checked; try again in a moment.</source>
        <translation>参照ファイルを確認中です。少し待ってからもう一度押してください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="548" />
        <source>This reference cannot be used</source>
        <translation>この参照ファイルは使えません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="552" />
        <source>The reference may not fit the broken files:</source>
        <translation>参照ファイルが壊れたファイルに合っていない可能性があります:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="553" />
        <source>A repair with the wrong reference usually fails or gives an unplayable file. Repair anyway?</source>
        <translation>合わない参照ファイルで修復すると、たいてい失敗するか再生できないファイルになります。それでも修復しますか？</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="555" />
        <source>The reference may not fit</source>
        <translation>参照ファイルが合っていない可能性があります</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="555" />
        <source>Repair anyway</source>
        <translation>それでも修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="556" />
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="595" />
        <source>Stopping… nothing half-finished will be left behind.</source>
        <translation>中止しています… 作りかけのファイルは残りません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="671" />
        <source>Cancel this file</source>
        <translation>このファイルを中止</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="674" />
        <source>Play</source>
        <translation>再生</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="675" />
        <source>Show in folder</source>
        <translation>フォルダーで表示</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="677" />
        <source>Use as reference</source>
        <translation>参照ファイルにする</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="678" />
        <source>Remove from list</source>
        <translation>一覧から外す</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="702" />
        <source>Repair %n file(s)</source>
        <translation>
            <numerusform>%n 件を修復</numerusform></translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="718" />
        <source>Stopping the repairs before closing…</source>
        <translation>閉じる前に修復を中止しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="721" />
        <source>1. Drop the broken recordings.  2. Add a healthy reference file.  3. Press Repair.</source>
        <translation>1. 壊れた録画をドロップ　2. 正常な参照ファイルを追加　3.「修復」を押す</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="722" />
        <source>Now drop the broken recordings.</source>
        <translation>次に壊れた録画をドロップしてください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="726" />
        <source>Repairing %1 of %2… You can keep using your computer; the window stays open.</source>
        <translation>%2 件中 %1 件目を修復中… その間もパソコンは普通に使えます。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="730" />
        <source>Checking %n file(s)…</source>
        <translation>
            <numerusform>%n 件を確認中…</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="737" />
        <source>%n repaired</source>
        <translation>
            <numerusform>%n 件修復済み</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="739" />
        <source>%n repaired with gaps</source>
        <translation>
            <numerusform>%n 件は欠けあり</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="741" />
        <source>%n failed</source>
        <translation>
            <numerusform>%n 件失敗</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="744" />
        <source>%n file(s) ready</source>
        <translation>
            <numerusform>%n 件修復できます</numerusform></translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="746" />
        <source>%1 of data to recover</source>
        <translation>復元するデータ %1</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="748" />
        <source>add a reference file to start</source>
        <translation>参照ファイルを追加すると開始できます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="750" />
        <source>Nothing to repair in this list.</source>
        <translation>この一覧に修復するものはありません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="764" />
        <source>Stop repairing?</source>
        <translation>修復を中止しますか？</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="765" />
        <source>%n file(s) are still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the originals stay as they are.</source>
        <translation>
            <numerusform>まだ %n 件を修復中です。今閉じると修復は中止されますが、作りかけのファイルは残らず、元のファイルもそのままです。</numerusform></translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="768" />
        <source>Stop and close</source>
        <translation>中止して閉じる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="768" />
        <source>Keep repairing</source>
        <translation>修復を続ける</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="78" />
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="78" />
        <source>Size</source>
        <translation>サイズ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="78" />
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="78" />
        <source>Progress</source>
        <translation>進行状況</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="79" />
        <source>Recovered</source>
        <translation>復元</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="79" />
        <source>Result</source>
        <translation>結果</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="84" />
        <source>Checking…</source>
        <translation>確認中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="86" />
        <source>Ready to repair</source>
        <translation>修復できます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="88" />
        <source>Not broken</source>
        <translation>壊れていません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="90" />
        <source>Cannot be repaired</source>
        <translation>修復できません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="92" />
        <source>Waiting…</source>
        <translation>待機中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="96" />
        <source>Repaired</source>
        <translation>修復済み</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="98" />
        <source>Repaired, with gaps</source>
        <translation>修復済み（欠けあり）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="100" />
        <source>Failed</source>
        <translation>失敗</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="102" />
        <source>Cancelled</source>
        <translation>中止</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="107" />
        <source>Checking the file…</source>
        <translation>ファイルを確認しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="108" />
        <source>Reading the reference…</source>
        <translation>参照ファイルを読んでいます…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="109" />
        <source>Finding audio and video…</source>
        <translation>映像と音声を探しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="110" />
        <source>Building the index…</source>
        <translation>インデックスを作っています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="111" />
        <source>Writing the repaired file…</source>
        <translation>修復したファイルを書き込んでいます…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="112" />
        <source>Checking the result…</source>
        <translation>結果を確認しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="113" />
        <source>Repairing…</source>
        <translation>修復中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="121" />
        <source>Nothing was written.</source>
        <translation>何も書き込まれていません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="128" />
        <source>%1 to recover</source>
        <translation>復元可能 %1</translation>
    </message>
</context>
<context>
    <name>ReferenceSlot</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="262" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="269" />
        <source>Reference file</source>
        <translation>参照ファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="263" />
        <source>A healthy recording made with the same camera and the same settings. mp4fix learns from it how to read the broken files.</source>
        <translation>同じカメラ・同じ設定で撮った正常な録画です。mp4fix はそこから壊れたファイルの読み方を学びます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="265" />
        <source>&amp;Choose reference…</source>
        <translation>参照ファイルを選択(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="266" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="267" />
        <source>Remove the reference</source>
        <translation>参照ファイルを外す</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="268" />
        <source>&amp;Use this file</source>
        <translation>このファイルを使う(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="298" />
        <source>Checking…</source>
        <translation>確認中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="338" />
        <source>%1 in the same folder is a healthy recording that fits. Use it as the reference?</source>
        <translation>同じフォルダーの %1 は、条件に合う正常な録画です。参照ファイルとして使いますか？</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="40" />
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="43" />
        <source>&amp;Beside the original recording</source>
        <translation>元の録画と同じ場所(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="44" />
        <source>In this &amp;folder:</source>
        <translation>このフォルダー(&amp;F):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="49" />
        <source>Choose a folder</source>
        <translation>フォルダーを選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="50" />
        <source>Output folder</source>
        <translation>保存先フォルダー</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="51" />
        <source>C&amp;hoose…</source>
        <translation>選択(&amp;H)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="62" />
        <source>Naming pattern</source>
        <translation>名前の付け方</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="68" />
        <source>Keep both (add a number to the new one)</source>
        <translation>両方残す（新しい方に番号を付ける）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="69" />
        <source>Replace the earlier result</source>
        <translation>前の結果を置き換える</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="70" />
        <source>Don't repair, tell me</source>
        <translation>修復せずに知らせる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="73" />
        <source>Same as the system</source>
        <translation>システムに合わせる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="74" />
        <source>Light</source>
        <translation>ライト</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="75" />
        <source>Dark</source>
        <translation>ダーク</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="78" />
        <source>Save repaired files:</source>
        <translation>修復したファイルの保存先:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="79" />
        <source>&amp;Name:</source>
        <translation>名前(&amp;N):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="81" />
        <source>If the name is &amp;taken:</source>
        <translation>同じ名前がある場合(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="82" />
        <source>&amp;Appearance:</source>
        <translation>外観(&amp;A):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="104" />
        <source>Save repaired files in</source>
        <translation>修復したファイルの保存先</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="112" />
        <source>For example: %1 becomes %2</source>
        <translation>例: %1 は %2 になります</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="116" />
        <source>The name must contain &lt;name&gt; plus something of your own, for example %1.</source>
        <translation>名前には &lt;name&gt; と、それ以外の文字を含めてください（例: %1）。</translation>
    </message>
</context>
</TS>